/* Unit tests for value.c: maps (add, set, get, order), merging (maps key by
 * key, everything else replaces), cloning, truthiness and scalar text. */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "value.h"

static value *str(const char *s)
{
    return value_new_string(s, strlen(s));
}

static const value *get(const value *map, const char *key)
{
    return value_map_get(map, key, strlen(key));
}

/* {name: "A", party: {city: "Kyiv", tags: ["x", "y"]}} */
static value *sample(void)
{
    value *m = value_new(VALUE_MAP, value_intern("case.yaml"), 1, 1);
    value_map_add(m, "name", 4, str("A"));
    value *party = value_new(VALUE_MAP, NULL, 0, 0);
    value_map_add(party, "city", 4, str("Kyiv"));
    value *tags = value_new(VALUE_LIST, NULL, 0, 0);
    value_list_push(tags, str("x"));
    value_list_push(tags, str("y"));
    value_map_add(party, "tags", 4, tags);
    value_map_add(m, "party", 5, party);
    return m;
}

static void intern_returns_one_pointer_per_name(void)
{
    char name[] = "data/case.yaml";
    const char *a = value_intern(name);
    name[0] = 'D';
    const char *b = value_intern("data/case.yaml");
    CHECK(a == b);
    CHECK_STR(a, "data/case.yaml");
    CHECK(value_intern("other.yaml") != a);
    CHECK(value_intern(NULL) == NULL);
}

static void constructors_copy_and_place(void)
{
    value *v = value_new(VALUE_LIST, value_intern("f.yaml"), 3, 7);
    CHECK_INT(v->kind, VALUE_LIST);
    CHECK_INT(v->line, 3);
    CHECK_INT(v->col, 7);
    CHECK_STR(v->file, "f.yaml");
    CHECK_INT(v->len, 0);
    value_free(v);

    char text[] = "abc";
    v = value_new_string(text, 2);
    text[0] = 'X';
    CHECK_INT(v->kind, VALUE_STRING);
    CHECK_STR(v->str, "ab");
    CHECK_INT(v->len, 2);
    CHECK_INT(v->line, 0);
    CHECK(v->file == NULL);
    value_free(v);

    v = value_new_number("1.50", 4);
    CHECK_INT(v->kind, VALUE_NUMBER);
    CHECK_STR(v->str, "1.50");
    CHECK_INT(v->len, 4);
    value_free(v);

    v = value_new_bool(true);
    CHECK_INT(v->kind, VALUE_BOOL);
    CHECK_INT(v->boolean, 1);
    value_free(v);
    value_free(NULL);
}

static void map_add_keeps_order_and_refuses_duplicates(void)
{
    value *m = value_new(VALUE_MAP, NULL, 0, 0);
    for (int i = 0; i < 20; i++) {
        char k[8];
        snprintf(k, sizeof k, "k%d", i);
        CHECK(value_map_add(m, k, strlen(k), value_new_number(k + 1, strlen(k + 1))));
    }
    CHECK_INT(m->len, 20);
    CHECK_STR(m->keys[0], "k0");
    CHECK_STR(m->keys[19], "k19");
    CHECK_STR(get(m, "k13")->str, "13");
    value *dup = str("again");
    CHECK(!value_map_add(m, "k5", 2, dup));
    CHECK_INT(m->len, 20);
    CHECK_STR(get(m, "k5")->str, "5");
    value_free(dup); /* not consumed */
    /* the key is compared by length, not as a prefix */
    CHECK(value_map_get(m, "k1x", 2) == get(m, "k1"));
    CHECK(get(m, "k") == NULL);
    CHECK(get(m, "k100") == NULL);
    CHECK(value_map_get(NULL, "k1", 2) == NULL);
    value *list = value_new(VALUE_LIST, NULL, 0, 0);
    CHECK(get(list, "k1") == NULL);
    value_free(list);
    value_free(m);
}

static void map_set_replaces_in_place(void)
{
    value *m = sample();
    value_map_set(m, "name", 4, str("B"));
    CHECK_INT(m->len, 2);
    CHECK_STR(m->keys[0], "name");
    CHECK_STR(get(m, "name")->str, "B");
    value_map_set(m, "court", 5, str("Lviv"));
    CHECK_INT(m->len, 3);
    CHECK_STR(m->keys[2], "court");
    CHECK_STR(get(m, "court")->str, "Lviv");
    value_free(m);
}

static void merge_maps_key_by_key(void)
{
    value *base = sample();
    value *over = value_new(VALUE_MAP, NULL, 0, 0);
    value *party = value_new(VALUE_MAP, NULL, 0, 0);
    value_map_add(party, "city", 4, str("Lviv"));
    value_map_add(party, "zip", 3, value_new_number("79000", 5));
    value_map_add(over, "party", 5, party);
    value_map_add(over, "date", 4, str("2024-05-01"));

    value *m = value_merge(base, over);
    CHECK(m == base);
    CHECK_INT(m->len, 3);
    CHECK_STR(m->keys[0], "name");
    CHECK_STR(m->keys[1], "party");
    CHECK_STR(m->keys[2], "date");
    CHECK_STR(get(m, "name")->str, "A");
    CHECK_STR(get(m, "date")->str, "2024-05-01");
    const value *p = get(m, "party");
    CHECK_INT(p->len, 3);
    CHECK_STR(p->keys[0], "city");
    CHECK_STR(p->keys[1], "tags");
    CHECK_STR(p->keys[2], "zip");
    CHECK_STR(get(p, "city")->str, "Lviv");
    CHECK_INT(get(p, "tags")->len, 2);
    CHECK_STR(get(p, "zip")->str, "79000");
    value_free(m);
}

/* Large maps merge through a hash table: the same result as key by key,
 * in the base's order with new keys after, and maps under a shared key
 * merged in turn. */
static void merge_large_maps(void)
{
    value *base = value_new(VALUE_MAP, NULL, 0, 0);
    value *over = value_new(VALUE_MAP, NULL, 0, 0);
    char key[32], text[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "base %d", i);
        CHECK(value_map_add(base, key, strlen(key), value_new_string(text, strlen(text))));
    }
    for (int i = 1500; i < 4500; i++) {
        snprintf(key, sizeof key, "k%d", i);
        snprintf(text, sizeof text, "over %d", i);
        CHECK(value_map_add(over, key, strlen(key), value_new_string(text, strlen(text))));
    }
    value *inner_base = value_new(VALUE_MAP, NULL, 0, 0);
    value_map_add(inner_base, "a", 1, value_new_string("1", 1));
    value_map_add(inner_base, "b", 1, value_new_string("2", 1));
    value_map_add(base, "nested", 6, inner_base);
    value *inner_over = value_new(VALUE_MAP, NULL, 0, 0);
    value_map_add(inner_over, "b", 1, value_new_string("3", 1));
    value_map_add(over, "nested", 6, inner_over);

    value *m = value_merge(base, over);
    CHECK_INT(m->len, 4501);
    CHECK_STR(m->keys[0], "k0");
    CHECK_STR(m->keys[2999], "k2999");
    CHECK_STR(m->keys[3000], "nested");
    CHECK_STR(m->keys[3001], "k3000");
    CHECK_STR(m->keys[4500], "k4499");
    CHECK_STR(value_map_get(m, "k1499", 5)->str, "base 1499");
    CHECK_STR(value_map_get(m, "k1500", 5)->str, "over 1500");
    CHECK_STR(value_map_get(m, "k4499", 5)->str, "over 4499");
    const value *n = value_map_get(m, "nested", 6);
    CHECK_INT(n->len, 2);
    CHECK_STR(value_map_get(n, "a", 1)->str, "1");
    CHECK_STR(value_map_get(n, "b", 1)->str, "3");
    value_free(m);
}

/* A small base and many keys merged in (a common data file of one key
 * under a large one) go through the table too: the base grows with each
 * key, and searching it key by key was quadratic. */
static void merge_many_keys_into_a_small_map(void)
{
    value *base = value_new(VALUE_MAP, NULL, 0, 0);
    value_map_add(base, "k7", 2, value_new_string("base", 4));
    value *over = value_new(VALUE_MAP, NULL, 0, 0);
    char key[32];
    for (int i = 0; i < 3000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        value_map_add(over, key, strlen(key), value_new_string(key, strlen(key)));
    }
    value *m = value_merge(base, over);
    CHECK_INT(m->len, 3000);
    CHECK_STR(m->keys[0], "k7");
    CHECK_STR(m->items[0]->str, "k7");
    CHECK_STR(m->keys[1], "k0");
    CHECK_STR(m->keys[2999], "k2999");
    CHECK_STR(value_map_get(m, "k2999", 5)->str, "k2999");
    value_free(m);
}

static void merge_lists_and_scalars_replace(void)
{
    value *base = sample();
    value *over = value_new(VALUE_MAP, NULL, 0, 0);
    value *party = value_new(VALUE_MAP, NULL, 0, 0);
    value *tags = value_new(VALUE_LIST, NULL, 0, 0);
    value_list_push(tags, str("z"));
    value_map_add(party, "tags", 4, tags);
    value_map_add(over, "party", 5, party);
    value_map_add(over, "name", 4, value_new(VALUE_NULL, NULL, 0, 0));

    value *m = value_merge(base, over);
    const value *t = get(get(m, "party"), "tags");
    CHECK_INT(t->kind, VALUE_LIST);
    CHECK_INT(t->len, 1);
    CHECK_STR(t->items[0]->str, "z");
    CHECK_INT(get(m, "name")->kind, VALUE_NULL);
    CHECK_STR(get(get(m, "party"), "city")->str, "Kyiv");
    value_free(m);

    /* a scalar over a map replaces the map, and a map over a scalar */
    base = sample();
    over = value_new(VALUE_MAP, NULL, 0, 0);
    value_map_add(over, "party", 5, str("none"));
    m = value_merge(base, over);
    CHECK_INT(get(m, "party")->kind, VALUE_STRING);
    CHECK_STR(get(m, "party")->str, "none");
    value_free(m);

    value *list = value_new(VALUE_LIST, NULL, 0, 0);
    m = value_merge(list, sample());
    CHECK_INT(m->kind, VALUE_MAP);
    CHECK_INT(m->len, 2);
    value_free(m);

    /* a NULL base gives over back */
    value *v = str("alone");
    CHECK(value_merge(NULL, v) == v);
    value_free(v);
}

static void clone_is_deep_and_keeps_places(void)
{
    value *a = sample();
    value *b = value_clone(a);
    CHECK(b != a);
    CHECK_INT(b->kind, VALUE_MAP);
    CHECK(b->file == a->file);
    CHECK_INT(b->line, 1);
    CHECK_INT(b->col, 1);
    CHECK_INT(b->len, 2);
    CHECK(b->keys[0] != a->keys[0]);
    CHECK_STR(b->keys[1], "party");
    const value *tb = get(get(b, "party"), "tags");
    const value *ta = get(get(a, "party"), "tags");
    CHECK(tb != ta);
    CHECK_STR(tb->items[1]->str, "y");
    value_free(a); /* the clone owns all of its own storage */
    CHECK_STR(get(get(b, "party"), "city")->str, "Kyiv");
    value_free(b);
    CHECK(value_clone(NULL) == NULL);

    value *t = value_new_bool(false);
    value *c = value_clone(t);
    CHECK_INT(c->kind, VALUE_BOOL);
    CHECK_INT(c->boolean, 0);
    value_free(t);
    value_free(c);
}

static void truthiness_follows_mustache(void)
{
    value *v;
    CHECK(!value_truthy(NULL));
    v = value_new(VALUE_NULL, NULL, 0, 0);
    CHECK(!value_truthy(v));
    value_free(v);
    v = value_new_bool(false);
    CHECK(!value_truthy(v));
    value_free(v);
    v = value_new_bool(true);
    CHECK(value_truthy(v));
    value_free(v);
    v = str("");
    CHECK(!value_truthy(v));
    value_free(v);
    v = str("0");
    CHECK(value_truthy(v));
    value_free(v);
    v = value_new_number("0", 1);
    CHECK(value_truthy(v));
    value_free(v);
    v = value_new(VALUE_LIST, NULL, 0, 0);
    CHECK(!value_truthy(v));
    value_list_push(v, value_new(VALUE_NULL, NULL, 0, 0));
    CHECK(value_truthy(v));
    value_free(v);
    v = value_new(VALUE_MAP, NULL, 0, 0);
    CHECK(value_truthy(v));
    value_free(v);
}

static void text_of_every_kind(void)
{
    size_t n = 99;
    value *v = value_new_number("1.50", 4);
    CHECK_STR(value_text(v, &n), "1.50");
    CHECK_INT(n, 4);
    value_free(v);
    v = str("Kyiv");
    CHECK_STR(value_text(v, &n), "Kyiv");
    CHECK_INT(n, 4);
    value_free(v);
    v = value_new_bool(true);
    CHECK_STR(value_text(v, &n), "true");
    CHECK_INT(n, 4);
    value_free(v);
    v = value_new_bool(false);
    CHECK_STR(value_text(v, &n), "false");
    CHECK_INT(n, 5);
    value_free(v);
    v = value_new(VALUE_NULL, NULL, 0, 0);
    CHECK_STR(value_text(v, &n), "");
    CHECK_INT(n, 0);
    value_free(v);
    v = sample();
    CHECK_STR(value_text(v, &n), "");
    CHECK_INT(n, 0);
    CHECK_STR(value_text(get(get(v, "party"), "tags"), NULL), "");
    value_free(v);
    CHECK_STR(value_text(NULL, &n), "");
}

static void kind_names(void)
{
    CHECK_STR(value_kind_name(VALUE_NULL), "null");
    CHECK_STR(value_kind_name(VALUE_BOOL), "boolean");
    CHECK_STR(value_kind_name(VALUE_NUMBER), "number");
    CHECK_STR(value_kind_name(VALUE_STRING), "string");
    CHECK_STR(value_kind_name(VALUE_LIST), "list");
    CHECK_STR(value_kind_name(VALUE_MAP), "map");
}

static void deep_trees_free_without_recursion(void)
{
    value *root = value_new(VALUE_LIST, NULL, 0, 0);
    value *cur = root;
    for (int i = 0; i < 200000; i++) {
        value *next = value_new(VALUE_LIST, NULL, 0, 0);
        value_list_push(cur, next);
        cur = next;
    }
    value_list_push(cur, str("leaf"));
    value_free(root);
    CHECK(1);
}

UNIT_MAIN("value", UNIT(intern_returns_one_pointer_per_name), UNIT(constructors_copy_and_place),
          UNIT(map_add_keeps_order_and_refuses_duplicates), UNIT(map_set_replaces_in_place),
          UNIT(merge_maps_key_by_key), UNIT(merge_large_maps), UNIT(merge_many_keys_into_a_small_map), UNIT(merge_lists_and_scalars_replace),
          UNIT(clone_is_deep_and_keeps_places), UNIT(truthiness_follows_mustache),
          UNIT(text_of_every_kind), UNIT(kind_names), UNIT(deep_trees_free_without_recursion))
