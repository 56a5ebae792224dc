#include "cancel.h"

volatile sig_atomic_t ecl_cancel_flag;
