/* The word index's conjunctive check in C: which ranks of a block satisfy every typed word.
 *
 * WordIndex.matching reads the driving word's titles in blocks and keeps those whose forward
 * list (the title's word ids) satisfies every other term. In NumPy that check was some fifteen
 * small array operations per term per block, each a few microseconds of call overhead on blocks
 * of a few dozen titles: most of a multi-word keystroke's retrieval. Here it is one loop over
 * the block's forward lists, with the same results (the twin, _words_python.py, is the NumPy
 * statement; tests/test_kernels.py holds the two equal on many random blocks).
 *
 * A check is (ranges, year, needed): a title passes when the number of its words lying in any
 * of ranges [lo, hi), plus one when its year equals year, is at least needed (a word typed
 * twice needs two title words). The arrays come from files: every offset read is checked, so a
 * damaged index raises IndexError instead of reading outside its arrays.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_int_buffers.h"

typedef struct {
    PyObject_HEAD
    Py_buffer forward_first; /* int64, by rank: where its words start in forward (one more) */
    Py_buffer forward;       /* int32: word ids, title after title, in title order */
    Py_buffer rank_year;     /* int32, by rank: the title's year, 0 when it has none */
    int ready;
} TermFilter;

typedef struct {
    Py_ssize_t first_range; /* into the parsed ranges */
    Py_ssize_t range_count;
    int has_year;
    long long year;
    long long needed;
} Check;

typedef struct {
    long long lo, hi;
} Range;

static void release_buffers(TermFilter *self) {
    if (self->ready) {
        PyBuffer_Release(&self->forward_first);
        PyBuffer_Release(&self->forward);
        PyBuffer_Release(&self->rank_year);
        self->ready = 0;
    }
}

static int TermFilter_init(TermFilter *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"forward_first", "forward", "rank_year", NULL};
    PyObject *sources[3];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOO", keywords, &sources[0], &sources[1],
                                     &sources[2]))
        return -1;
    static const char *names[3] = {"forward_first", "forward", "rank_year"};
    static const Py_ssize_t sizes[3] = {8, 4, 4};
    Py_buffer views[3];
    for (int k = 0; k < 3; k++) {
        if (take_int_buffer(sources[k], &views[k], names[k], sizes[k], 0) < 0) {
            while (k-- > 0) PyBuffer_Release(&views[k]);
            return -1;
        }
    }
    const char *problem = NULL;
    if (views[0].len < 8) {
        problem = "forward_first needs one more entry than there are titles";
    } else if (views[2].len / 4 != views[0].len / 8 - 1) {
        problem = "rank_year needs one entry per title (one fewer than forward_first)";
    }
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        for (int k = 0; k < 3; k++) PyBuffer_Release(&views[k]);
        return -1;
    }
    release_buffers(self);
    self->forward_first = views[0];
    self->forward = views[1];
    self->rank_year = views[2];
    self->ready = 1;
    return 0;
}

static const char TERMS_SHAPE[] =
    "terms must be a sequence of (ranges, year, needed): ranges a sequence of (lo, hi) int "
    "pairs, year an int or None, needed an int";

/* An exact int of the terms (see read_exact_int). */
static int read_int(PyObject *value, long long *out) {
    return read_exact_int(value, out, TERMS_SHAPE);
}

/* Reads terms into checks and ranges (allocated here; the caller frees them). */
static int parse_terms(PyObject *terms, Check **checks_out, Py_ssize_t *count_out,
                       Range **ranges_out) {
    PyObject *outer, **pairs;
    Py_ssize_t total;
    if (read_term_tuples(terms, 3, TERMS_SHAPE, &outer, &pairs, &total) < 0) return -1;
    Py_ssize_t count = PyTuple_GET_SIZE(outer);
    Check *checks = PyMem_Malloc((count ? count : 1) * sizeof(Check));
    Range *ranges = PyMem_Malloc((total ? total : 1) * sizeof(Range));
    if (checks == NULL || ranges == NULL) {
        PyErr_NoMemory();
        goto failed;
    }
    Py_ssize_t filled = 0;
    for (Py_ssize_t t = 0; t < count; t++) {
        PyObject *term = PyTuple_GET_ITEM(outer, t), *year = PyTuple_GET_ITEM(term, 1);
        Check *check = &checks[t];
        check->has_year = year != Py_None;
        check->year = 0;
        if (check->has_year && read_int(year, &check->year) < 0) goto failed;
        if (read_int(PyTuple_GET_ITEM(term, 2), &check->needed) < 0) goto failed;
        check->first_range = filled;
        check->range_count = PyTuple_GET_SIZE(pairs[t]);
        for (Py_ssize_t r = 0; r < check->range_count; r++, filled++) {
            PyObject *pair = PyTuple_GET_ITEM(pairs[t], r);
            if (!PyTuple_Check(pair) || PyTuple_GET_SIZE(pair) != 2) {
                PyErr_SetString(PyExc_TypeError, TERMS_SHAPE);
                goto failed;
            }
            if (read_int(PyTuple_GET_ITEM(pair, 0), &ranges[filled].lo) < 0 ||
                read_int(PyTuple_GET_ITEM(pair, 1), &ranges[filled].hi) < 0)
                goto failed;
        }
    }
    release_term_tuples(outer, pairs);
    *checks_out = checks;
    *count_out = count;
    *ranges_out = ranges;
    return 0;
failed:
    release_term_tuples(outer, pairs);
    PyMem_Free(checks);
    PyMem_Free(ranges);
    return -1;
}

/* filter.keep(block, terms, kept) -> count
 *
 * Writes the ranks of block (int32, any order) whose titles satisfy every check of terms into
 * kept (a writable int32 array at least as long as block), in block order, and returns how
 * many there are. */
static PyObject *TermFilter_keep(TermFilter *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "TermFilter was not initialized");
        return NULL;
    }
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "keep(block, terms, kept) takes three arguments");
        return NULL;
    }
    Py_buffer block_view, kept_view;
    if (take_int_buffer(args[0], &block_view, "block", 4, 0) < 0) return NULL;
    if (take_int_buffer(args[2], &kept_view, "kept", 4, 1) < 0) {
        PyBuffer_Release(&block_view);
        return NULL;
    }
    PyObject *result = NULL;
    Check *checks = NULL;
    Range *ranges = NULL;
    Py_ssize_t check_count = 0;
    Py_ssize_t size = block_view.len / 4;
    if (kept_view.len / 4 < size) {
        PyErr_Format(PyExc_ValueError, "kept holds %zd ranks, the block %zd", kept_view.len / 4,
                     size);
        goto done;
    }
    if (parse_terms(args[1], &checks, &check_count, &ranges) < 0) goto done;

    const int32_t *block = block_view.buf;
    int32_t *kept = kept_view.buf;
    const int64_t *first = self->forward_first.buf;
    const int32_t *forward = self->forward.buf;
    const int32_t *years = self->rank_year.buf;
    Py_ssize_t titles = self->forward_first.len / 8 - 1;
    Py_ssize_t words = self->forward.len / 4;
    Py_ssize_t count = 0;
    for (Py_ssize_t position = 0; position < size; position++) {
        int32_t rank = block[position];
        if (rank < 0 || rank >= titles) {
            PyErr_Format(PyExc_IndexError, "rank %d outside the word index (%zd titles)",
                         (int)rank, titles);
            goto done;
        }
        int64_t start = first[rank], end = first[rank + 1];
        if (start < 0 || start > end || end > words) {
            PyErr_Format(PyExc_IndexError,
                         "words %lld..%lld of rank %d outside the forward index (%zd)",
                         (long long)start, (long long)end, (int)rank, words);
            goto done;
        }
        int satisfied = 1;
        for (Py_ssize_t c = 0; c < check_count && satisfied; c++) {
            const Check *check = &checks[c];
            const Range *own = ranges + check->first_range;
            long long hits = check->has_year && (long long)years[rank] == check->year;
            for (int64_t at = start; at < end && hits < check->needed; at++) {
                long long word = forward[at];
                for (Py_ssize_t r = 0; r < check->range_count; r++) {
                    if (word >= own[r].lo && word < own[r].hi) {
                        hits++; /* one title word counts once, whatever ranges hold it */
                        break;
                    }
                }
            }
            satisfied = hits >= check->needed;
        }
        if (satisfied) kept[count++] = rank;
    }
    result = PyLong_FromSsize_t(count);
done:
    PyMem_Free(checks);
    PyMem_Free(ranges);
    PyBuffer_Release(&block_view);
    PyBuffer_Release(&kept_view);
    return result;
}

/* Whether values (count int32) rise strictly; if not, a ValueError naming the array. */
static int check_rising(const int32_t *values, Py_ssize_t count, const char *name) {
    for (Py_ssize_t at = 1; at < count; at++) {
        if (values[at] <= values[at - 1]) {
            PyErr_Format(PyExc_ValueError, "%s must be strictly ascending", name);
            return -1;
        }
    }
    return 0;
}

/* common_ranks(first, second, out) -> count
 *
 * Writes the values both first and second hold (int32 arrays, each strictly ascending) into out
 * (a writable int32 array at least as long as the shorter of them), ascending, and returns how
 * many there are: one merge over the two, in order, where the forward check of each rank would
 * be a read at random (WordIndex.matching's sieves). */
static PyObject *common_ranks(PyObject *module, PyObject *const *args, Py_ssize_t nargs) {
    (void)module;
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "common_ranks(first, second, out) takes three arguments");
        return NULL;
    }
    Py_buffer views[3];
    static const char *names[3] = {"first", "second", "out"};
    for (int k = 0; k < 3; k++) {
        if (take_int_buffer(args[k], &views[k], names[k], 4, k == 2) < 0) {
            while (k-- > 0) PyBuffer_Release(&views[k]);
            return NULL;
        }
    }
    PyObject *result = NULL;
    const int32_t *first = views[0].buf, *second = views[1].buf;
    int32_t *out = views[2].buf;
    Py_ssize_t first_count = views[0].len / 4, second_count = views[1].len / 4;
    Py_ssize_t shorter = first_count < second_count ? first_count : second_count;
    if (views[2].len / 4 < shorter) {
        PyErr_Format(PyExc_ValueError, "out holds %zd ranks, the shorter array %zd",
                     views[2].len / 4, shorter);
        goto done;
    }
    if (check_rising(first, first_count, "first") < 0 ||
        check_rising(second, second_count, "second") < 0)
        goto done;
    Py_ssize_t i = 0, j = 0, count = 0;
    while (i < first_count && j < second_count) {
        int32_t a = first[i], b = second[j];
        if (a < b) {
            i++;
        } else if (b < a) {
            j++;
        } else {
            out[count++] = a;
            i++;
            j++;
        }
    }
    result = PyLong_FromSsize_t(count);
done:
    for (int k = 0; k < 3; k++) PyBuffer_Release(&views[k]);
    return result;
}

static PyMethodDef module_methods[] = {
    {"common_ranks", (PyCFunction)(void (*)(void))common_ranks, METH_FASTCALL,
     "common_ranks(first, second, out) -> count of the values both ascending arrays hold, "
     "written to out"},
    {NULL, NULL, 0, NULL},
};

static void TermFilter_dealloc(TermFilter *self) {
    release_buffers(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef TermFilter_methods[] = {
    {"keep", (PyCFunction)(void (*)(void))TermFilter_keep, METH_FASTCALL,
     "keep(block, terms, kept) -> count of block's ranks satisfying every term, written to kept"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TermFilterType = {
    .ob_base = PyVarObject_HEAD_INIT(NULL, 0).tp_name = "autocomplete.index._words.TermFilter",
    .tp_basicsize = sizeof(TermFilter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "The conjunctive check of a block of ranks, over a word index's forward lists.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)TermFilter_init,
    .tp_dealloc = (destructor)TermFilter_dealloc,
    .tp_methods = TermFilter_methods,
};

/* Multi-phase initialisation (PEP 489): the import system makes the module object and this
 * fills it. The type is static and immutable once ready, so sharing it is safe. */
static int exec_module(PyObject *module) {
    if (PyType_Ready(&TermFilterType) < 0) return -1;
    Py_INCREF(&TermFilterType);
    if (PyModule_AddObject(module, "TermFilter", (PyObject *)&TermFilterType) < 0) {
        Py_DECREF(&TermFilterType);
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
    .m_name = "autocomplete.index._words",
    .m_doc = "The word index's conjunctive check of a block of ranks, and the ranks two "
             "ascending lists share, in C.",
    .m_size = 0,
    .m_methods = module_methods,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__words(void) { return PyModuleDef_Init(&module_definition); }
