// The wide-character API (add_wch, get_wch, cchar_t) is only declared with _XOPEN_SOURCE_EXTENDED.
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#include <locale.h>
#include <ncursesw/ncurses.h>
