/* The error model's hot path in C: aligning a typed string with an intended one and pricing the
 * alignment's single-character edits.
 *
 * Pricing candidate corrections was the typo path's dearest step in Python (several µs a pair,
 * about ten pairs a keystroke). This module does the same work, with the same results, in
 * well under a microsecond. It states four pieces of the error model, and the tests hold each
 * equal to the plain-Python statement in tests/align_reference.py on many pairs:
 *
 *   align(typed, intended)       the optimal string alignment, with its backtrace preferences;
 *   the edit's count-table key   alignment.edit_key (which the trainer uses);
 *   Pricer.single_edit_cost      ErrorModel's single-edit cost: the alignment priced, a
 *                                mirror-image alignment as a second opinion, and a word still
 *                                being typed compared with a prefix of the intended word;
 *   Pricer.settle                that cost returned at once when no alternation can lower it
 *                                (ErrorModel._uncached_cost's quick test for one slip).
 *
 * Strings are compared by code point. The dense tables cover the model's alphabet; a key outside
 * it is priced by a Python callable, as the Python model does.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { OP_SUB = 0, OP_DEL = 1, OP_INS = 2, OP_TRANS = 3, OPS = 4 };

/* "^" (the word-start context) followed by the model's alphabet: alignment.WORD_START +
 * keyboard.ALPHABET. Keys index the tables by these positions. */
#define SYMBOLS 38
static const char SYMBOL_CHARS[SYMBOLS + 1] = "^1234567890qwertyuiopasdfghjklzxcvbnm ";
static signed char symbol_of_ascii[128];

static PyObject *op_names[OPS]; /* "sub", "del", "ins", "trans" */

typedef struct {
    int op;
    Py_ssize_t i; /* typed position */
    Py_ssize_t j; /* intended position */
} Edit;

/* Growable buffers on the stack for the usual short words, on the heap beyond. -------------- */

#define SHORT_TEXT 64
#define SHORT_CELLS 1024

typedef struct {
    Py_UCS4 *chars;
    Py_ssize_t length;
    Py_UCS4 inline_chars[SHORT_TEXT];
} Text;

static int text_init(Text *text, PyObject *string) {
    Py_ssize_t length = PyUnicode_GET_LENGTH(string);
    text->length = length;
    text->chars = length <= SHORT_TEXT ? text->inline_chars : PyMem_Malloc(length * sizeof(Py_UCS4));
    if (text->chars == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    int kind = PyUnicode_KIND(string);
    const void *data = PyUnicode_DATA(string);
    for (Py_ssize_t k = 0; k < length; k++) {
        text->chars[k] = PyUnicode_READ(kind, data, k);
    }
    return 0;
}

static void text_free(Text *text) {
    if (text->chars != text->inline_chars) {
        PyMem_Free(text->chars);
    }
}

/* The optimal string alignment ---------------------------------------------------------------- */

/* Edits turning intended[0:m] into typed[0:n], in order, written to edits (room for n + m); the
 * count is returned, or -1 on failure with an exception set. The same dynamic programme and
 * backtrace as errormodel's Python reference: among equally short alignments, prefer a swap
 * over two edits, and put an extra or dropped letter on the second of a doubled pair. */
static Py_ssize_t osa_align(const Py_UCS4 *typed, Py_ssize_t n, const Py_UCS4 *intended,
                            Py_ssize_t m, Edit *edits) {
    Py_ssize_t cols = m + 1, cells = (n + 1) * cols;
    int inline_cells[SHORT_CELLS];
    int *dist = cells <= SHORT_CELLS ? inline_cells : PyMem_Malloc(cells * sizeof(int));
    if (dist == NULL) {
        PyErr_NoMemory();
        return -1;
    }
#define D(i, j) dist[(i) * cols + (j)]
    for (Py_ssize_t i = 0; i <= n; i++) D(i, 0) = (int)i;
    for (Py_ssize_t j = 0; j <= m; j++) D(0, j) = (int)j;
    for (Py_ssize_t i = 1; i <= n; i++) {
        Py_UCS4 typed_char = typed[i - 1];
        for (Py_ssize_t j = 1; j <= m; j++) {
            int best = D(i - 1, j - 1) + (typed_char != intended[j - 1]);
            if (D(i - 1, j) + 1 < best) best = D(i - 1, j) + 1;
            if (D(i, j - 1) + 1 < best) best = D(i, j - 1) + 1;
            if (i > 1 && j > 1 && typed_char == intended[j - 2] && typed[i - 2] == intended[j - 1] &&
                typed_char != intended[j - 1] && D(i - 2, j - 2) + 1 < best) {
                best = D(i - 2, j - 2) + 1;
            }
            D(i, j) = best;
        }
    }
    Py_ssize_t count = 0, i = n, j = m;
    while (i > 0 || j > 0) {
        int here = D(i, j);
        if (i > 1 && j > 1 && typed[i - 1] == intended[j - 2] && typed[i - 2] == intended[j - 1] &&
            typed[i - 1] != intended[j - 1] && here == D(i - 2, j - 2) + 1) {
            edits[count++] = (Edit){OP_TRANS, i - 2, j - 2};
            i -= 2;
            j -= 2;
        } else if (j > 1 && intended[j - 1] == intended[j - 2] && here == D(i, j - 1) + 1) {
            edits[count++] = (Edit){OP_DEL, i, j - 1};
            j -= 1;
        } else if (i > 1 && typed[i - 1] == typed[i - 2] && here == D(i - 1, j) + 1) {
            edits[count++] = (Edit){OP_INS, i - 1, j};
            i -= 1;
        } else if (i > 0 && j > 0 && here == D(i - 1, j - 1) + (typed[i - 1] != intended[j - 1])) {
            if (typed[i - 1] != intended[j - 1]) edits[count++] = (Edit){OP_SUB, i - 1, j - 1};
            i -= 1;
            j -= 1;
        } else if (j > 0 && here == D(i, j - 1) + 1) {
            edits[count++] = (Edit){OP_DEL, i, j - 1};
            j -= 1;
        } else {
            edits[count++] = (Edit){OP_INS, i - 1, j};
            i -= 1;
        }
    }
#undef D
    if (dist != inline_cells) PyMem_Free(dist);
    for (Py_ssize_t low = 0, high = count - 1; low < high; low++, high--) {
        Edit swap = edits[low];
        edits[low] = edits[high];
        edits[high] = swap;
    }
    return count;
}

/* The alignment of the reversed strings, mapped back onto typed and intended (in order). */
static Py_ssize_t mirror_align(const Py_UCS4 *typed, Py_ssize_t n, const Py_UCS4 *intended,
                               Py_ssize_t m, Edit *edits, Py_UCS4 *scratch) {
    Py_UCS4 *typed_reversed = scratch, *intended_reversed = scratch + n;
    for (Py_ssize_t k = 0; k < n; k++) typed_reversed[k] = typed[n - 1 - k];
    for (Py_ssize_t k = 0; k < m; k++) intended_reversed[k] = intended[m - 1 - k];
    Py_ssize_t count = osa_align(typed_reversed, n, intended_reversed, m, edits);
    if (count < 0) return -1;
    for (Py_ssize_t low = 0, high = count - 1; low < high; low++, high--) {
        Edit swap = edits[low];
        edits[low] = edits[high];
        edits[high] = swap;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        Edit *edit = &edits[k];
        switch (edit->op) {
            case OP_SUB:
                *edit = (Edit){OP_SUB, n - 1 - edit->i, m - 1 - edit->j};
                break;
            case OP_DEL:
                *edit = (Edit){OP_DEL, n - edit->i, m - 1 - edit->j};
                break;
            case OP_INS:
                *edit = (Edit){OP_INS, n - 1 - edit->i, m - edit->j};
                break;
            default:
                *edit = (Edit){OP_TRANS, n - 2 - edit->i, m - 2 - edit->j};
        }
    }
    return count;
}

static int same_edits(const Edit *left, const Edit *right, Py_ssize_t count) {
    for (Py_ssize_t k = 0; k < count; k++) {
        if (left[k].op != right[k].op || left[k].i != right[k].i || left[k].j != right[k].j)
            return 0;
    }
    return 1;
}

/* Substitutions none of which are adjacent: other alignments of the same length almost never
 * place them differently, so the mirror image is not worth computing. */
static int far_apart_substitutions(const Edit *edits, Py_ssize_t count) {
    Py_ssize_t previous = -2;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (edits[k].op != OP_SUB || edits[k].j - previous < 2) return 0;
        previous = edits[k].j;
    }
    return 1;
}

static PyObject *edits_to_list(const Edit *edits, Py_ssize_t count) {
    PyObject *list = PyList_New(count);
    if (list == NULL) return NULL;
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *edit = Py_BuildValue("(Onn)", op_names[edits[k].op], edits[k].i, edits[k].j);
        if (edit == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, k, edit);
    }
    return list;
}

/* The pricer: the model's tables ------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    double costs[OPS][SYMBOLS][SYMBOLS]; /* NAN where the model's tables have no entry */
    double first_letter_penalty;
    double prefix_pending_cost;
    PyObject *price_key;  /* price_key(op, key) -> float, for keys the tables do not hold */
    PyObject *neighbours; /* dict: (intended core, typed core) -> set of (before, after) */
    double cheapest_rule; /* the cheapest alternation's cost */
    Py_ssize_t max_search_edits;
} Pricer;

static int symbol_of(Py_UCS4 char_) {
    return char_ < 128 ? symbol_of_ascii[char_] : -1;
}

/* One edit's cost, alignment.edit_key's key looked up, and whether it touches the first letter
 * of a word (which costs the first-letter penalty on top). */
static int edit_cost(Pricer *self, const Py_UCS4 *typed, Py_ssize_t n, const Py_UCS4 *intended,
                     Py_ssize_t m, Edit edit, double *cost, int *touches_start) {
    Py_UCS4 first, second;
    int at_start;
    Py_ssize_t i = edit.i, j = edit.j;
    if (edit.op == OP_SUB || edit.op == OP_TRANS) {
        at_start = j == 0 || intended[j - 1] == ' ';
        first = edit.op == OP_SUB ? typed[i] : intended[j];
        second = edit.op == OP_SUB ? intended[j] : intended[j + 1];
    } else {
        Py_UCS4 char_ = edit.op == OP_DEL ? intended[j] : typed[i];
        Py_UCS4 before = j > 0 ? intended[j - 1] : ' ';
        if (edit.op == OP_DEL) {
            if (before != char_ && j + 1 < m && intended[j + 1] == char_) before = char_;
        } else if ((i > 0 && typed[i - 1] == char_) || (i + 1 < n && typed[i + 1] == char_)) {
            before = char_;
        }
        at_start = before == ' ' && char_ != ' ';
        first = at_start ? '^' : before;
        second = char_;
    }
    int row = symbol_of(first), column = symbol_of(second);
    double found = row >= 0 && column >= 0 ? self->costs[edit.op][row][column] : NAN;
    if (isnan(found)) {
        Py_UCS4 key_chars[2] = {first, second};
        PyObject *key = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, key_chars, 2);
        if (key == NULL) return -1;
        PyObject *priced = PyObject_CallFunctionObjArgs(self->price_key, op_names[edit.op], key, NULL);
        Py_DECREF(key);
        if (priced == NULL) return -1;
        found = PyFloat_AsDouble(priced);
        Py_DECREF(priced);
        if (found == -1.0 && PyErr_Occurred()) return -1;
    }
    *cost = found;
    *touches_start = at_start;
    return 0;
}

static int edits_cost(Pricer *self, const Py_UCS4 *typed, Py_ssize_t n, const Py_UCS4 *intended,
                      Py_ssize_t m, const Edit *edits, Py_ssize_t count, double *total) {
    double sum = 0.0;
    for (Py_ssize_t k = 0; k < count; k++) {
        double cost;
        int at_start;
        if (edit_cost(self, typed, n, intended, m, edits[k], &cost, &at_start) < 0) return -1;
        /* Added in two steps, as the Python model does, so that the sums agree to the bit. */
        sum += cost;
        if (at_start) sum += self->first_letter_penalty;
    }
    *total = sum;
    return 0;
}

/* An alignment and its mirror image, in C arrays: on the stack for short strings. */
typedef struct {
    Edit *edits, *mirrored;
    Py_ssize_t count, mirrored_count;
    int differs; /* the mirror image was weighed and is another alignment */
    Edit inline_edits[2 * SHORT_TEXT + 2];
} Aligned;

static void aligned_free(Aligned *aligned) {
    if (aligned->edits != aligned->inline_edits) PyMem_Free(aligned->edits);
}

/* The single-edit cost of typed against intended, and the alignments weighed (see Aligned). */
static int alignment_cost(Pricer *self, const Py_UCS4 *typed, Py_ssize_t n,
                          const Py_UCS4 *intended, Py_ssize_t m, double *total, Aligned *out) {
    Py_ssize_t room = n + m + 1;
    Py_UCS4 inline_scratch[2 * SHORT_TEXT], *scratch = inline_scratch;
    int status = -1;
    out->edits = out->inline_edits;
    out->count = out->mirrored_count = 0;
    out->differs = 0;
    if (2 * room > (Py_ssize_t)(sizeof(out->inline_edits) / sizeof(Edit))) {
        out->edits = PyMem_Malloc(2 * room * sizeof(Edit));
        if (out->edits == NULL) {
            out->edits = out->inline_edits;
            PyErr_NoMemory();
            return -1;
        }
    }
    out->mirrored = out->edits + room;
    if (n + m > 2 * SHORT_TEXT) {
        scratch = PyMem_Malloc((n + m) * sizeof(Py_UCS4));
        if (scratch == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    out->count = osa_align(typed, n, intended, m, out->edits);
    if (out->count < 0 || edits_cost(self, typed, n, intended, m, out->edits, out->count, total) < 0)
        goto done;
    if (out->count > 1 && !far_apart_substitutions(out->edits, out->count)) {
        double mirrored_total;
        out->mirrored_count = mirror_align(typed, n, intended, m, out->mirrored, scratch);
        if (out->mirrored_count < 0 ||
            edits_cost(self, typed, n, intended, m, out->mirrored, out->mirrored_count,
                       &mirrored_total) < 0)
            goto done;
        if (mirrored_total < *total) *total = mirrored_total;
        out->differs = out->mirrored_count != out->count ||
                       !same_edits(out->edits, out->mirrored, out->count);
    }
    status = 0;
done:
    if (scratch != inline_scratch) PyMem_Free(scratch);
    return status;
}

/* [edits], or [edits, mirrored] when the mirror image differs. */
static PyObject *aligned_to_list(const Aligned *aligned) {
    PyObject *list = PyList_New(aligned->differs ? 2 : 1);
    if (list == NULL) return NULL;
    PyObject *first = edits_to_list(aligned->edits, aligned->count);
    if (first == NULL) {
        Py_DECREF(list);
        return NULL;
    }
    PyList_SET_ITEM(list, 0, first);
    if (aligned->differs) {
        PyObject *second = edits_to_list(aligned->mirrored, aligned->mirrored_count);
        if (second == NULL) {
            Py_DECREF(list);
            return NULL;
        }
        PyList_SET_ITEM(list, 1, second);
    }
    return list;
}

/* ErrorModel._single_edit_cost: the whole strings' single-edit cost, and for a word still being
 * typed the cheaper of that and the intended string cut at the typed length, the rest pending. */
static int single_edit_cost(Pricer *self, const Text *typed, const Text *intended, int prefix,
                            double *total, Aligned *aligned) {
    Py_ssize_t n = typed->length, m = intended->length;
    if (alignment_cost(self, typed->chars, n, intended->chars, m, total, aligned) < 0) return -1;
    if (prefix && m > n) {
        double truncated = 0.0;
        if (memcmp(typed->chars, intended->chars, n * sizeof(Py_UCS4)) != 0) {
            Aligned cut;
            int failed = alignment_cost(self, typed->chars, n, intended->chars, n, &truncated, &cut);
            aligned_free(&cut);
            if (failed < 0) return -1;
        }
        double pending = truncated + (double)(m - n) * self->prefix_pending_cost;
        if (pending < *total) *total = pending;
    }
    return 0;
}

static int parse_pair(Pricer *self, PyObject *const *args, Py_ssize_t nargs, const char *usage,
                      Text *typed, Text *intended, int *prefix) {
    if (self->price_key == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Pricer was not initialized");
        return -1;
    }
    if (nargs != 3 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    *prefix = PyObject_IsTrue(args[2]);
    if (*prefix < 0) return -1;
    if (text_init(typed, args[0]) < 0) return -1;
    if (text_init(intended, args[1]) < 0) {
        text_free(typed);
        return -1;
    }
    return 0;
}

static PyObject *Pricer_single_edit_cost(Pricer *self, PyObject *const *args, Py_ssize_t nargs) {
    Text typed, intended;
    int prefix;
    if (parse_pair(self, args, nargs, "single_edit_cost(typed: str, intended: str, prefix: bool)",
                   &typed, &intended, &prefix) < 0)
        return NULL;
    Aligned aligned;
    double total;
    PyObject *result = NULL;
    if (single_edit_cost(self, &typed, &intended, prefix, &total, &aligned) == 0) {
        PyObject *alignments = aligned_to_list(&aligned);
        if (alignments != NULL) result = Py_BuildValue("(dN)", total, alignments);
    }
    aligned_free(&aligned);
    text_free(&typed);
    text_free(&intended);
    return result;
}

/* Whether no alternation can apply to a pair one edit apart: the quick test of
 * ErrorModel._uncached_cost (the letters the edit changes are no alternation's core, or not
 * between the letters it needs). 1 settled, 0 not, -1 error. */
static int one_edit_settled(Pricer *self, const Text *typed, const Text *intended, Edit edit) {
    Py_ssize_t i = edit.i, j = edit.j, width = edit.op == OP_TRANS ? 2 : 1;
    Py_ssize_t high = j + (edit.op == OP_INS ? 0 : width);
    Py_ssize_t typed_high = i + (edit.op == OP_DEL ? 0 : width);
    const Py_UCS4 *s = intended->chars, *t = typed->chars;
    PyObject *key = Py_BuildValue(
        "(NN)", PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, s + j, high - j),
        PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, t + i, typed_high - i));
    if (key == NULL) return -1;
    PyObject *needs = PyDict_GetItemWithError(self->neighbours, key); /* borrowed */
    Py_DECREF(key);
    if (needs == NULL) return PyErr_Occurred() ? -1 : 1;
    /* An extra or dropped letter beside the same letter may slide along it: not settled. */
    int has_before = j > 0, has_after = high < intended->length;
    Py_UCS4 before = has_before ? s[j - 1] : 0, after = has_after ? s[high] : 0;
    if (edit.op == OP_INS || edit.op == OP_DEL) {
        Py_UCS4 char_ = edit.op == OP_INS ? t[i] : s[j];
        if ((has_before && char_ == before) || (has_after && char_ == after)) return 0;
    }
    for (int with_before = 0; with_before < 2; with_before++) {
        for (int with_after = 0; with_after < 2; with_after++) {
            if ((with_before && !has_before) || (with_after && !has_after)) continue;
            PyObject *pair = Py_BuildValue(
                "(NN)", PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, &before, with_before),
                PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, &after, with_after));
            if (pair == NULL) return -1;
            int found = PySequence_Contains(needs, pair);
            Py_DECREF(pair);
            if (found != 0) return found < 0 ? -1 : 0;
        }
    }
    return 1;
}

/* settle(typed, intended, prefix) -> cost, or (single-edit cost, alignments) when an
 * alternation may still lower it: ErrorModel._uncached_cost up to the alternation search. */
static PyObject *Pricer_settle(Pricer *self, PyObject *const *args, Py_ssize_t nargs) {
    Text typed, intended;
    int prefix;
    if (parse_pair(self, args, nargs, "settle(typed: str, intended: str, prefix: bool)", &typed,
                   &intended, &prefix) < 0)
        return NULL;
    if (self->neighbours == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "Pricer has no alternation cores");
        text_free(&typed);
        text_free(&intended);
        return NULL;
    }
    Aligned aligned;
    double total;
    PyObject *result = NULL;
    if (single_edit_cost(self, &typed, &intended, prefix, &total, &aligned) < 0) goto done;
    int settled = aligned.count == 0 || aligned.count > self->max_search_edits ||
                  total <= self->cheapest_rule;
    if (!settled && aligned.count == 1) {
        settled = one_edit_settled(self, &typed, &intended, aligned.edits[0]);
        if (settled < 0) goto done;
    }
    if (settled) {
        result = PyFloat_FromDouble(total);
    } else {
        PyObject *alignments = aligned_to_list(&aligned);
        if (alignments != NULL) result = Py_BuildValue("(dN)", total, alignments);
    }
done:
    aligned_free(&aligned);
    text_free(&typed);
    text_free(&intended);
    return result;
}

static int Pricer_init(Pricer *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"costs",      "first_letter_penalty", "prefix_pending_cost",
                               "price_key",  "neighbours",           "cheapest_rule",
                               "max_search_edits", NULL};
    PyObject *costs, *price_key, *neighbours = NULL;
    double penalty, pending, cheapest_rule = INFINITY;
    Py_ssize_t max_search_edits = 0;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OddO|O!dn", keywords, &costs, &penalty,
                                     &pending, &price_key, &PyDict_Type, &neighbours,
                                     &cheapest_rule, &max_search_edits))
        return -1;
    if (!PyCallable_Check(price_key)) {
        PyErr_SetString(PyExc_TypeError, "price_key must be callable");
        return -1;
    }
    Py_buffer view;
    if (PyObject_GetBuffer(costs, &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    int ok = view.len == (Py_ssize_t)sizeof(self->costs) && view.itemsize == sizeof(double) &&
             view.format != NULL && strcmp(view.format, "d") == 0;
    if (ok) memcpy(self->costs, view.buf, sizeof(self->costs));
    PyBuffer_Release(&view);
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "costs must be %d x %d x %d float64 values (op, context, char)",
                     OPS, SYMBOLS, SYMBOLS);
        return -1;
    }
    self->first_letter_penalty = penalty;
    self->prefix_pending_cost = pending;
    self->cheapest_rule = cheapest_rule;
    self->max_search_edits = max_search_edits;
    Py_INCREF(price_key);
    Py_XSETREF(self->price_key, price_key);
    Py_XINCREF(neighbours);
    Py_XSETREF(self->neighbours, neighbours);
    return 0;
}

static int Pricer_traverse(Pricer *self, visitproc visit, void *arg) {
    Py_VISIT(self->price_key);
    Py_VISIT(self->neighbours);
    return 0;
}

static int Pricer_clear(Pricer *self) {
    Py_CLEAR(self->price_key);
    Py_CLEAR(self->neighbours);
    return 0;
}

static void Pricer_dealloc(Pricer *self) {
    PyObject_GC_UnTrack(self);
    Pricer_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef Pricer_methods[] = {
    {"single_edit_cost", (PyCFunction)(void (*)(void))Pricer_single_edit_cost, METH_FASTCALL,
     "single_edit_cost(typed, intended, prefix) -> (cost, alignments)"},
    {"settle", (PyCFunction)(void (*)(void))Pricer_settle, METH_FASTCALL,
     "settle(typed, intended, prefix) -> cost, or (cost, alignments) to search alternations"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject PricerType = {
    .ob_base = PyVarObject_HEAD_INIT(NULL, 0).tp_name = "autocomplete.spell._align.Pricer",
    .tp_basicsize = sizeof(Pricer),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "An error model's single-edit pricing over its dense cost tables.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Pricer_init,
    .tp_dealloc = (destructor)Pricer_dealloc,
    .tp_traverse = (traverseproc)Pricer_traverse,
    .tp_clear = (inquiry)Pricer_clear,
    .tp_methods = Pricer_methods,
};

/* align() for the trainer and the tests ----------------------------------------------------- */

static PyObject *align(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 2 || !PyUnicode_Check(args[0]) || !PyUnicode_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "align(typed: str, intended: str)");
        return NULL;
    }
    Text typed, intended;
    PyObject *result = NULL;
    if (text_init(&typed, args[0]) < 0) return NULL;
    if (text_init(&intended, args[1]) < 0) {
        text_free(&typed);
        return NULL;
    }
    Edit *edits = PyMem_Malloc((typed.length + intended.length + 1) * sizeof(Edit));
    if (edits == NULL) {
        PyErr_NoMemory();
    } else {
        Py_ssize_t count = osa_align(typed.chars, typed.length, intended.chars, intended.length, edits);
        if (count >= 0) result = edits_to_list(edits, count);
        PyMem_Free(edits);
    }
    text_free(&typed);
    text_free(&intended);
    return result;
}

static PyMethodDef module_methods[] = {
    {"align", (PyCFunction)(void (*)(void))align, METH_FASTCALL,
     "align(typed, intended) -> the optimal string alignment's edits, in order"},
    {NULL, NULL, 0, NULL},
};

/* Multi-phase initialisation (PEP 489): the module object is made by the import system and
 * filled here, so that it behaves like a Python module (reloadable, per-interpreter). The
 * lookup tables and interned names below are immutable once built, so sharing them is safe. */
static int exec_module(PyObject *module) {
    memset(symbol_of_ascii, -1, sizeof(symbol_of_ascii));
    for (int k = 0; k < SYMBOLS; k++) symbol_of_ascii[(unsigned char)SYMBOL_CHARS[k]] = (signed char)k;
    static const char *names[OPS] = {"sub", "del", "ins", "trans"};
    for (int k = 0; k < OPS; k++) {
        if (op_names[k] == NULL) {
            op_names[k] = PyUnicode_InternFromString(names[k]);
            if (op_names[k] == NULL) return -1;
        }
    }
    if (PyType_Ready(&PricerType) < 0) return -1;
    PyObject *symbols = PyUnicode_FromString(SYMBOL_CHARS);
    if (symbols == NULL) return -1;
    if (PyModule_AddObject(module, "SYMBOLS", symbols) < 0) {
        Py_DECREF(symbols);
        return -1;
    }
    Py_INCREF(&PricerType);
    if (PyModule_AddObject(module, "Pricer", (PyObject *)&PricerType) < 0) {
        Py_DECREF(&PricerType);
        return -1;
    }
    return 0;
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, exec_module},
    {0, NULL},
};

static struct PyModuleDef module_definition = {
    .m_base = PyModuleDef_HEAD_INIT,
    .m_name = "autocomplete.spell._align",
    .m_doc = "String alignment and single-edit pricing for the error model, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__align(void) { return PyModuleDef_Init(&module_definition); }
