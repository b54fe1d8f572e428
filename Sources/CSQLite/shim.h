#ifndef HERD_CSQLITE_SHIM_H
#define HERD_CSQLITE_SHIM_H
// The system libsqlite3 (Debian: libsqlite3-dev), used by HerdJournal only.
#include <sqlite3.h>
#endif
