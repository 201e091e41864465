/* The spelling index's probe in C: the indexed word prefixes near a typed word, within its edit
 * budget.
 *
 * A typed word looks up its deletion variants in the deletion index (SymSpell's symmetric
 * delete, see spelling_index.py); each variant found lists the prefixes stored under it. Most of
 * those prefixes are further from the typed word than its budget allows. In Python, turning
 * every one back into a string and measuring its distance was a third of a new word's search.
 * Here the prefixes are read from a flat array of code points, and only those within the
 * budget become Python strings.
 *
 * The deletion trie itself stays in marisa-trie: its lookups are made through the Python
 * callable given (the trie's get), a few dozen per word.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 2
#define SHORT_TEXT 64

typedef struct {
    PyObject_HEAD
    PyObject *lookup; /* deletion variant (str) -> deletion id (int) or None */
    Py_buffer postings_first; /* int32, by deletion id: where its postings start (one more) */
    Py_buffer postings;       /* int32: prefix ids */
    Py_buffer prefix_starts;  /* int32, by prefix id: where its code points start (one more) */
    Py_buffer prefix_chars;   /* uint32: the prefixes' code points, one after another */
    Py_buffer prefix_weight;  /* float32, by prefix id: log popularity */
    Py_buffer prefix_best;    /* float32, by prefix id: best log prior of a title with it */
    int ready;
} DeletionProbe;

/* The optimal string alignment distance (as rapidfuzz's OSA.distance), or budget + 1 when it
 * is larger than budget. */
static int osa_within(const Py_UCS4 *a, Py_ssize_t n, const uint32_t *b, Py_ssize_t m,
                      int budget, int *scratch) {
    Py_ssize_t gap = n > m ? n - m : m - n;
    if (gap > budget) return budget + 1;
    Py_ssize_t cols = m + 1;
    int *two_back = scratch, *previous = scratch + cols, *current = scratch + 2 * cols;
    for (Py_ssize_t j = 0; j <= m; j++) previous[j] = (int)j;
    for (Py_ssize_t i = 1; i <= n; i++) {
        current[0] = (int)i;
        int row_best = current[0];
        for (Py_ssize_t j = 1; j <= m; j++) {
            int best = previous[j - 1] + (a[i - 1] != b[j - 1]);
            if (previous[j] + 1 < best) best = previous[j] + 1;
            if (current[j - 1] + 1 < best) best = current[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                a[i - 1] != b[j - 1] && two_back[j - 2] + 1 < best) {
                best = two_back[j - 2] + 1;
            }
            current[j] = best;
            if (best < row_best) row_best = best;
        }
        /* A swap reaches back two rows, so stop only when two rows in a row are over budget. */
        int previous_best = previous[0];
        for (Py_ssize_t j = 1; j <= m; j++)
            if (previous[j] < previous_best) previous_best = previous[j];
        if (row_best > budget && previous_best > budget) return budget + 1;
        int *recycled = two_back;
        two_back = previous;
        previous = current;
        current = recycled;
    }
    return previous[m] > budget ? budget + 1 : previous[m];
}

static int compare_ids(const void *left, const void *right) {
    int32_t a = *(const int32_t *)left, b = *(const int32_t *)right;
    return (a > b) - (a < b);
}

/* Looks one variant up and appends its postings to ids (grown as needed). */
static int add_postings(DeletionProbe *self, const Py_UCS4 *chars, Py_ssize_t length,
                        PyObject *tried, int32_t **ids, Py_ssize_t *count, Py_ssize_t *room) {
    PyObject *variant = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, chars, length);
    if (variant == NULL) return -1;
    int known = PySet_Contains(tried, variant);
    if (known != 0) {
        Py_DECREF(variant);
        return known < 0 ? -1 : 0;
    }
    if (PySet_Add(tried, variant) < 0) {
        Py_DECREF(variant);
        return -1;
    }
    PyObject *found = PyObject_CallOneArg(self->lookup, variant);
    Py_DECREF(variant);
    if (found == NULL) return -1;
    if (found == Py_None) {
        Py_DECREF(found);
        return 0;
    }
    Py_ssize_t deletion = PyLong_AsSsize_t(found);
    Py_DECREF(found);
    if (deletion == -1 && PyErr_Occurred()) return -1;
    const int32_t *first = self->postings_first.buf;
    Py_ssize_t deletions = self->postings_first.len / (Py_ssize_t)sizeof(int32_t) - 1;
    if (deletion < 0 || deletion >= deletions) {
        PyErr_Format(PyExc_IndexError, "deletion id %zd outside the postings (%zd)", deletion,
                     deletions);
        return -1;
    }
    Py_ssize_t low = first[deletion], high = first[deletion + 1];
    /* The offsets come from a file: load checks them all (spelling_index.py), and this keeps
     * the copy below inside the postings even for arrays that did not pass that way. */
    Py_ssize_t postings = self->postings.len / (Py_ssize_t)sizeof(int32_t);
    if (low < 0 || low > high || high > postings) {
        PyErr_Format(PyExc_IndexError,
                     "postings %zd..%zd of deletion %zd outside the postings (%zd)", low, high,
                     deletion, postings);
        return -1;
    }
    if (*count + (high - low) > *room) {
        Py_ssize_t grown = 2 * (*room + (high - low));
        int32_t *bigger = PyMem_Realloc(*ids, grown * sizeof(int32_t));
        if (bigger == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        *ids = bigger;
        *room = grown;
    }
    memcpy(*ids + *count, (const int32_t *)self->postings.buf + low,
           (high - low) * sizeof(int32_t));
    *count += high - low;
    return 0;
}

/* probe.near(typed, probe_length, depth, budget, long_length) -> (within, long)
 *
 * The prefixes sharing a deletion variant (up to depth deletions) with typed[:probe_length]:
 * within lists (prefix, distance, log weight, best prior) for those at most budget edits from
 * the whole of typed (every one, with distance -1, when budget is negative); long lists the
 * prefixes of exactly long_length characters whatever their distance (none when long_length
 * is 0). */
static PyObject *DeletionProbe_near(DeletionProbe *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "DeletionProbe was not initialized");
        return NULL;
    }
    if (nargs != 5 || !PyUnicode_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError,
                        "near(typed: str, probe_length: int, depth: int, budget: int, "
                        "long_length: int)");
        return NULL;
    }
    Py_ssize_t probe_length = PyLong_AsSsize_t(args[1]);
    long depth = PyLong_AsLong(args[2]), budget = PyLong_AsLong(args[3]);
    Py_ssize_t long_length = PyLong_AsSsize_t(args[4]);
    if (PyErr_Occurred()) return NULL;
    if (depth < 0 || depth > MAX_DEPTH) {
        PyErr_Format(PyExc_ValueError, "deletion depth is 0 to %d, got %ld", MAX_DEPTH, depth);
        return NULL;
    }
    PyObject *typed_object = args[0];
    Py_ssize_t n = PyUnicode_GET_LENGTH(typed_object);
    Py_UCS4 inline_typed[SHORT_TEXT], *typed = inline_typed;
    int32_t *ids = NULL;
    int *scratch = NULL;
    PyObject *tried = NULL, *within = NULL, *long_prefixes = NULL, *result = NULL;
    if (n > SHORT_TEXT && (typed = PyMem_Malloc(n * sizeof(Py_UCS4))) == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    if (PyUnicode_AsUCS4(typed_object, typed, n, 0) == NULL) goto done;
    Py_ssize_t p = probe_length < n ? (probe_length < 0 ? 0 : probe_length) : n;

    /* Every variant of the probe with up to depth characters deleted, the probe included. */
    Py_ssize_t count = 0, room = 256;
    ids = PyMem_Malloc(room * sizeof(int32_t));
    tried = PySet_New(NULL);
    if (ids == NULL || tried == NULL) {
        if (ids == NULL) PyErr_NoMemory();
        goto done;
    }
    Py_UCS4 variant[SHORT_TEXT];
    if (p > SHORT_TEXT) {
        PyErr_SetString(PyExc_ValueError, "probe_length is at most 64");
        goto done;
    }
    if (add_postings(self, typed, p, tried, &ids, &count, &room) < 0) goto done;
    for (Py_ssize_t first = 0; depth >= 1 && first < p; first++) {
        memcpy(variant, typed, first * sizeof(Py_UCS4));
        memcpy(variant + first, typed + first + 1, (p - first - 1) * sizeof(Py_UCS4));
        if (add_postings(self, variant, p - 1, tried, &ids, &count, &room) < 0) goto done;
        for (Py_ssize_t second = first + 1; depth >= 2 && second < p; second++) {
            /* Both deleted: the probe without positions first and second. */
            Py_UCS4 pair[SHORT_TEXT];
            memcpy(pair, typed, first * sizeof(Py_UCS4));
            memcpy(pair + first, typed + first + 1, (second - first - 1) * sizeof(Py_UCS4));
            memcpy(pair + second - 1, typed + second + 1, (p - second - 1) * sizeof(Py_UCS4));
            if (add_postings(self, pair, p - 2, tried, &ids, &count, &room) < 0) goto done;
        }
    }
    qsort(ids, count, sizeof(int32_t), compare_ids);

    const int32_t *starts = self->prefix_starts.buf;
    const uint32_t *chars = self->prefix_chars.buf;
    Py_ssize_t prefixes = self->prefix_starts.len / (Py_ssize_t)sizeof(int32_t) - 1;
    Py_ssize_t char_count = self->prefix_chars.len / (Py_ssize_t)sizeof(uint32_t);
    Py_ssize_t longest = 0;
    for (Py_ssize_t k = 0; k < count; k++) {
        if (ids[k] < 0 || ids[k] >= prefixes) {
            PyErr_Format(PyExc_IndexError, "prefix id %d outside the index (%zd)", ids[k],
                         prefixes);
            goto done;
        }
        /* As for the postings: every prefix read below must lie inside prefix_chars. */
        if (starts[ids[k]] < 0 || starts[ids[k]] > starts[ids[k] + 1] ||
            starts[ids[k] + 1] > char_count) {
            PyErr_Format(PyExc_IndexError,
                         "prefix %d's characters %d..%d outside the index (%zd)", ids[k],
                         starts[ids[k]], starts[ids[k] + 1], char_count);
            goto done;
        }
        Py_ssize_t length = starts[ids[k] + 1] - starts[ids[k]];
        if (length > longest) longest = length;
    }
    scratch = PyMem_Malloc(3 * (longest + 1) * sizeof(int));
    within = PyList_New(0);
    long_prefixes = PyList_New(0);
    if (scratch == NULL || within == NULL || long_prefixes == NULL) {
        if (scratch == NULL) PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        if (k > 0 && ids[k] == ids[k - 1]) continue;
        const uint32_t *prefix = chars + starts[ids[k]];
        Py_ssize_t length = starts[ids[k] + 1] - starts[ids[k]];
        int distance = budget < 0 ? -1 : osa_within(typed, n, prefix, length, (int)budget, scratch);
        int keep = distance <= budget, is_long = long_length > 0 && length == long_length;
        if (!keep && !is_long) continue;
        PyObject *text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, prefix, length);
        if (text == NULL) goto done;
        int failed = 0;
        if (keep) {
            PyObject *pair = Py_BuildValue(
                "(Oidd)", text, distance, (double)((const float *)self->prefix_weight.buf)[ids[k]],
                (double)((const float *)self->prefix_best.buf)[ids[k]]);
            failed = pair == NULL || PyList_Append(within, pair) < 0;
            Py_XDECREF(pair);
        }
        if (!failed && is_long) failed = PyList_Append(long_prefixes, text) < 0;
        Py_DECREF(text);
        if (failed) goto done;
    }
    result = PyTuple_Pack(2, within, long_prefixes);
done:
    if (typed != inline_typed) PyMem_Free(typed);
    PyMem_Free(ids);
    PyMem_Free(scratch);
    Py_XDECREF(tried);
    Py_XDECREF(within);
    Py_XDECREF(long_prefixes);
    return result;
}

/* A 4-byte array: of integers (kind 'i') or of floats (kind 'f'). */
static int take_buffer(PyObject *source, Py_buffer *view, const char *name, char kind) {
    if (PyObject_GetBuffer(source, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) return -1;
    const char *format = view->format == NULL ? "B" : view->format;
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
    int ok = view->itemsize == 4 &&
             (kind == 'f' ? format[0] == 'f'
                          : (format[0] == 'i' || format[0] == 'I' || format[0] == 'l' ||
                             format[0] == 'L'));
    if (!ok) {
        PyErr_Format(PyExc_ValueError, "%s must be an array of 32-bit %s", name,
                     kind == 'f' ? "floats" : "integers");
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

static void release_buffers(DeletionProbe *self) {
    if (self->ready) {
        PyBuffer_Release(&self->postings_first);
        PyBuffer_Release(&self->postings);
        PyBuffer_Release(&self->prefix_starts);
        PyBuffer_Release(&self->prefix_chars);
        PyBuffer_Release(&self->prefix_weight);
        PyBuffer_Release(&self->prefix_best);
        self->ready = 0;
    }
}

static int DeletionProbe_init(DeletionProbe *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"lookup",       "postings_first", "postings",    "prefix_starts",
                               "prefix_chars", "prefix_weight",  "prefix_best", NULL};
    enum { VIEWS = 6 };
    PyObject *lookup, *sources[VIEWS];
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOOO", keywords, &lookup, &sources[0],
                                     &sources[1], &sources[2], &sources[3], &sources[4],
                                     &sources[5]))
        return -1;
    if (!PyCallable_Check(lookup)) {
        PyErr_SetString(PyExc_TypeError, "lookup must be callable");
        return -1;
    }
    static const char *names[VIEWS] = {"postings_first", "postings",      "prefix_starts",
                                       "prefix_chars",   "prefix_weight", "prefix_best"};
    static const char kinds[VIEWS] = {'i', 'i', 'i', 'i', 'f', 'f'};
    Py_buffer views[VIEWS];
    for (int k = 0; k < VIEWS; k++) {
        if (take_buffer(sources[k], &views[k], names[k], kinds[k]) < 0) {
            while (k-- > 0) PyBuffer_Release(&views[k]);
            return -1;
        }
    }
    Py_ssize_t prefixes = views[2].len / 4 - 1;
    const char *problem = NULL;
    if (views[0].len < 4 || views[2].len < 4) {
        problem = "postings_first and prefix_starts need one more entry";
    } else if (views[4].len / 4 != prefixes || views[5].len / 4 != prefixes) {
        problem = "prefix_weight and prefix_best need one entry per prefix";
    }
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        for (int k = 0; k < VIEWS; k++) PyBuffer_Release(&views[k]);
        return -1;
    }
    release_buffers(self);
    self->postings_first = views[0];
    self->postings = views[1];
    self->prefix_starts = views[2];
    self->prefix_chars = views[3];
    self->prefix_weight = views[4];
    self->prefix_best = views[5];
    self->ready = 1;
    Py_INCREF(lookup);
    Py_XSETREF(self->lookup, lookup);
    return 0;
}

static int DeletionProbe_traverse(DeletionProbe *self, visitproc visit, void *arg) {
    Py_VISIT(self->lookup);
    return 0;
}

static int DeletionProbe_clear(DeletionProbe *self) {
    Py_CLEAR(self->lookup);
    return 0;
}

static void DeletionProbe_dealloc(DeletionProbe *self) {
    PyObject_GC_UnTrack(self);
    DeletionProbe_clear(self);
    release_buffers(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef DeletionProbe_methods[] = {
    {"near", (PyCFunction)(void (*)(void))DeletionProbe_near, METH_FASTCALL,
     "near(typed, probe_length, depth, budget, long_length) -> (within, long)"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject DeletionProbeType = {
    .ob_base = PyVarObject_HEAD_INIT(NULL, 0).tp_name = "autocomplete.index._nearby.DeletionProbe",
    .tp_basicsize = sizeof(DeletionProbe),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "The deletion index's probe over a spelling index's arrays.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)DeletionProbe_init,
    .tp_dealloc = (destructor)DeletionProbe_dealloc,
    .tp_traverse = (traverseproc)DeletionProbe_traverse,
    .tp_clear = (inquiry)DeletionProbe_clear,
    .tp_methods = DeletionProbe_methods,
};

/* Multi-phase initialisation (PEP 489): the import system makes the module object and this
 * fills it. The type is static and immutable once ready, so sharing it is safe. */
static int exec_module(PyObject *module) {
    if (PyType_Ready(&DeletionProbeType) < 0) return -1;
    Py_INCREF(&DeletionProbeType);
    if (PyModule_AddObject(module, "DeletionProbe", (PyObject *)&DeletionProbeType) < 0) {
        Py_DECREF(&DeletionProbeType);
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
    .m_name = "autocomplete.index._nearby",
    .m_doc = "The spelling index's deletion probe and edit filter, in C.",
    .m_size = 0,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__nearby(void) { return PyModuleDef_Init(&module_definition); }
