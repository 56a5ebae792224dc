/* names.h - fixed vocabularies for personal data (see names.c). */
#ifndef ECL_ECOM_NAMES_H
#define ECL_ECOM_NAMES_H

#include <stddef.h>

extern const char *const ec_first_names[];
extern const size_t ec_n_first_names;
extern const char *const ec_last_names[];
extern const size_t ec_n_last_names;
extern const char *const ec_street_names[];
extern const size_t ec_n_street_names;
extern const char *const ec_street_suffixes[];
extern const size_t ec_n_street_suffixes;
extern const char *const ec_cities[];
extern const size_t ec_n_cities;
extern const char *const ec_states[];
extern const size_t ec_n_states;
extern const char *const ec_free_domains[];
extern const size_t ec_n_free_domains;
extern const char *const ec_guest_domains[];
extern const size_t ec_n_guest_domains;
extern const char *const ec_words[];
extern const size_t ec_n_words;

#endif
