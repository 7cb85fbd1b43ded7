/* version.h — the version of assay, printed by `assay --version` and
 * recorded with every run and export. */
#ifndef ASSAY_VERSION_H
#define ASSAY_VERSION_H

#define ASSAY_VERSION "0.1.0"

#endif
