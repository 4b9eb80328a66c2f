/* unit.h: a tiny unit-test harness. Each test_*.c defines TESTS as a list of
 * functions; each prints "ok NAME" or "FAIL NAME: detail" lines that
 * tests/run counts. Assertions compare exact values. */
#ifndef CASEPACK_UNIT_H
#define CASEPACK_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int unit_failed_now;
static const char *unit_name;
static int unit_total_failed;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond)) {                                                                       \
            printf("FAIL %s: %s:%d: %s\n", unit_name, __FILE__, __LINE__, #cond);            \
            unit_failed_now = 1;                                                             \
            return;                                                                          \
        }                                                                                    \
    } while (0)

#define CHECK_STR(got, want)                                                                 \
    do {                                                                                     \
        const char *g_ = (got), *w_ = (want);                                                \
        if (!g_ || strcmp(g_, w_) != 0) {                                                    \
            printf("FAIL %s: %s:%d: got \"%s\", want \"%s\"\n", unit_name, __FILE__, __LINE__, \
                   g_ ? g_ : "(null)", w_);                                                  \
            unit_failed_now = 1;                                                             \
            return;                                                                          \
        }                                                                                    \
    } while (0)

#define CHECK_INT(got, want)                                                                 \
    do {                                                                                     \
        long long g_ = (long long)(got), w_ = (long long)(want);                             \
        if (g_ != w_) {                                                                      \
            printf("FAIL %s: %s:%d: got %lld, want %lld\n", unit_name, __FILE__, __LINE__, g_, \
                   w_);                                                                      \
            unit_failed_now = 1;                                                             \
            return;                                                                          \
        }                                                                                    \
    } while (0)

typedef void (*unit_fn)(void);
typedef struct unit_case {
    const char *name;
    unit_fn fn;
} unit_case;

#define UNIT(fn) {#fn, fn}

static inline int unit_run(const char *suite, const unit_case *cases, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unit_name = cases[i].name;
        unit_failed_now = 0;
        cases[i].fn();
        if (unit_failed_now)
            unit_total_failed++;
        else
            printf("ok %s.%s\n", suite, cases[i].name);
    }
    return unit_total_failed ? 1 : 0;
}

#define UNIT_MAIN(suite, ...)                                                                \
    int main(void)                                                                           \
    {                                                                                        \
        static const unit_case cases_[] = {__VA_ARGS__};                                     \
        return unit_run(suite, cases_, sizeof cases_ / sizeof cases_[0]);                    \
    }

#endif
