/* fuzz_csv.c: the CSV records loader (load_csv_open_memory, load_csv_next):
 * the header line with its dotted and numbered column names, then every row
 * as a record, bad rows reported and skipped as batch does. The delimiter is
 * found from the header, as on the command line by default. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    load_limits lim = fuzz_load_limits();
    load_csv_options opt = {0};
    diag *d = diag_new();
    csv_reader *r = load_csv_open_memory((const char *)data, size, "records.csv", &opt, &lim, d);
    if (r) {
        (void)load_csv_delimiter(r);
        for (;;) {
            value *rec = NULL;
            load_csv_row where;
            int io_error = 0;
            load_csv_status st = load_csv_next(r, &rec, &where, d, &io_error);
            value_free(rec);
            if (st == LOAD_CSV_END || st == LOAD_CSV_FAILED)
                break;
        }
    }
    load_csv_close(r);
    diag_free(d);
    return 0;
}
