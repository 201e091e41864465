/* Reading integer arrays, exact ints and terms from Python in the word kernels (index/_words.c,
 * rank/_alignwords.c): one statement of the checks both make before any loop reads memory.
 *
 * Header-only (static functions): each extension is its own shared object, and the build
 * (setup.py, scripts/check_extensions.sh) adds this folder to the include path.
 */
#ifndef AUTOCOMPLETE_INT_BUFFERS_H
#define AUTOCOMPLETE_INT_BUFFERS_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Integers of itemsize bytes, signed (the formats NumPy gives int32 and int64). */
static int is_signed_format(const Py_buffer *view, Py_ssize_t itemsize) {
    const char *format = view->format == NULL ? "B" : view->format;
    if (format[0] == '<' || format[0] == '=' || format[0] == '@') format++;
    return view->itemsize == itemsize && format[1] == '\0' &&
           (format[0] == 'i' || format[0] == 'l' || format[0] == 'q');
}

/* A C-contiguous buffer of signed itemsize-byte integers (writable when asked), or -1 with a
 * ValueError naming the argument. */
static int take_int_buffer(PyObject *source, Py_buffer *view, const char *name,
                           Py_ssize_t itemsize, int writable) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(source, view, flags) < 0) return -1;
    if (!is_signed_format(view, itemsize)) {
        PyErr_Format(PyExc_ValueError, "%s must be an array of %d-bit integers", name,
                     (int)(8 * itemsize));
        PyBuffer_Release(view);
        return -1;
    }
    return 0;
}

/* An exact int (or a subclass such as bool) as a long long: no __index__ runs, so no Python code
 * can change the caller's input while it is read. A TypeError says shape otherwise. */
static int read_exact_int(PyObject *value, long long *out, const char *shape) {
    if (!PyLong_Check(value)) {
        PyErr_SetString(PyExc_TypeError, shape);
        return -1;
    }
    *out = PyLong_AsLongLong(value);
    return *out == -1 && PyErr_Occurred() ? -1 : 0;
}

/* A kernel's terms as tuples: the sequence source as a tuple of term_size-tuples (*outer_out)
 * and, per term, its first item (its ranges) as a tuple (*ranges_out, count entries; *total_out
 * ranges in all). Sequences are copied into tuples first (no copy when they are tuples
 * already), so a list changed meanwhile cannot pull items from under the reader. On success
 * the caller owns every reference and gives them back with release_term_tuples; on failure
 * nothing is held and a TypeError says shape. */
static int read_term_tuples(PyObject *source, Py_ssize_t term_size, const char *shape,
                            PyObject **outer_out, PyObject ***ranges_out, Py_ssize_t *total_out) {
    PyObject *outer = PySequence_Tuple(source);
    if (outer == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) PyErr_SetString(PyExc_TypeError, shape);
        return -1;
    }
    Py_ssize_t count = PyTuple_GET_SIZE(outer), total = 0;
    PyObject **ranges = PyMem_Calloc(count ? count : 1, sizeof(PyObject *));
    if (ranges == NULL) {
        PyErr_NoMemory();
        Py_DECREF(outer);
        return -1;
    }
    for (Py_ssize_t read = 0; read < count; read++) {
        PyObject *term = PyTuple_GET_ITEM(outer, read);
        if (!PyTuple_Check(term) || PyTuple_GET_SIZE(term) != term_size) {
            PyErr_SetString(PyExc_TypeError, shape);
            goto failed;
        }
        if ((ranges[read] = PySequence_Tuple(PyTuple_GET_ITEM(term, 0))) == NULL) {
            if (PyErr_ExceptionMatches(PyExc_TypeError)) PyErr_SetString(PyExc_TypeError, shape);
            goto failed;
        }
        total += PyTuple_GET_SIZE(ranges[read]);
    }
    *outer_out = outer;
    *ranges_out = ranges;
    *total_out = total;
    return 0;
failed:
    for (Py_ssize_t t = 0; t < count; t++) Py_XDECREF(ranges[t]);
    PyMem_Free(ranges);
    Py_DECREF(outer);
    return -1;
}

static void release_term_tuples(PyObject *outer, PyObject **ranges) {
    for (Py_ssize_t t = 0; t < PyTuple_GET_SIZE(outer); t++) Py_DECREF(ranges[t]);
    PyMem_Free(ranges);
    Py_DECREF(outer);
}

#endif
