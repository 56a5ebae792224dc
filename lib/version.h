#ifndef ECL_VERSION_H
#define ECL_VERSION_H

#define ECL_VERSION "0.1.0"
#define ECL_WRITER_NAME "ecomlake " ECL_VERSION

#endif
