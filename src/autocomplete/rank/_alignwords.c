/* Typed words aligned with the titles of many ranks in C: the scattered-words reading's search.
 *
 * WordReader.top_k reads the titles that hold every typed word (WordIndex.matching) and finds,
 * for each, the cheapest assignment of typed words to distinct title words (or the title's
 * year), priced by the channel's skip and order costs. In Python that search was a few
 * microseconds a title, the largest part of a scattered-words keystroke once the conjunctive
 * check was in C; here it is one call for a whole list of ranks, with the same results to the
 * bit (the twin, _alignwords_python.py, is the Python code it replaces; tests/test_kernels.py
 * holds the two equal on many random titles):
 *
 *   - each typed word's options: every title position whose word lies in one of its ranges
 *     [lo, hi), at the cost of the first range of least cost holding it (then the year, at
 *     position -1 and cost 0, when the title's year is the word's);
 *   - when the assignments number more than max_alignments, each word's options sorted by
 *     (cost, position) and cut to keep[n - 1] (n the number of typed words);
 *   - the assignments in itertools.product order; one whose words sit in a row, in order, from
 *     a word start at most max_word_starts rejects the title (the prefix index reaches it), one
 *     that puts two words on one position is passed over, and the first of least cost wins;
 *   - cost = spelling + entry + skipped stop words * stop_skip + other skipped words *
 *     content_skip + (inversions - stop inversions) * inversion + stop inversions *
 *     stop_inversion (a stop inversion: a pair out of order where either title word is a stop
 *     word), added left to right as Python adds it (entry taken
 *     off again when only the year was added); an assignment with nothing skipped, inverted or
 *     read as a year (a plain prefix) is passed over.
 *
 * The arrays come from files: every rank, offset and word id read is checked, so a damaged
 * index raises IndexError instead of reading outside its arrays.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "_int_buffers.h"

/* The costs must be summed exactly as Python sums them: no fused multiply-add, which would round
 * once where Python rounds twice (x86-64 builds have no FMA by default; other targets might). */
#if defined(__clang__)
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=off")
#endif

typedef struct {
    PyObject_HEAD
    Py_buffer forward_first; /* int64, by rank: where its words start in forward (one more) */
    Py_buffer forward;       /* int32: word ids, title after title, in title order */
    Py_buffer rank_year;     /* int32, by rank: the title's year, 0 when it has none */
    Py_buffer stop_words;    /* int32, by word id: nonzero for a stop word */
    double entry, stop_skip, content_skip, inversion, stop_inversion;
    Py_ssize_t max_word_starts;
    Py_ssize_t max_alignments;
    Py_ssize_t *keep; /* keep[n - 1]: options kept per word of n when the assignments are many */
    Py_ssize_t max_terms;
    int ready;
} TitleAligner;

typedef struct {
    long long lo, hi;
    double cost;
} Range;

typedef struct {
    Py_ssize_t first_range; /* into the parsed ranges */
    Py_ssize_t range_count;
    int has_year;
    long long year;
} Term;

typedef struct {
    Py_ssize_t position; /* in the title; -1 for the year */
    double cost;
    Py_ssize_t which; /* the term's range read; -1 for the year */
} Option;

static void release_buffers(TitleAligner *self) {
    if (self->ready) {
        PyBuffer_Release(&self->forward_first);
        PyBuffer_Release(&self->forward);
        PyBuffer_Release(&self->rank_year);
        PyBuffer_Release(&self->stop_words);
        PyMem_Free(self->keep);
        self->keep = NULL;
        self->ready = 0;
    }
}

static int read_costs(PyObject *costs, double out[5]) {
    static const char *names[5] = {"entry", "stop_skip", "content_skip", "inversion",
                                   "stop_inversion"};
    if (!PyTuple_Check(costs) || PyTuple_GET_SIZE(costs) != 5) {
        PyErr_SetString(PyExc_TypeError,
                        "costs must be (entry, stop_skip, content_skip, inversion, stop_inversion)");
        return -1;
    }
    for (int k = 0; k < 5; k++) {
        PyObject *value = PyTuple_GET_ITEM(costs, k);
        if (!PyFloat_Check(value) && !PyLong_Check(value)) {
            PyErr_Format(PyExc_TypeError, "%s must be a number", names[k]);
            return -1;
        }
        out[k] = PyFloat_AsDouble(value);
        if (out[k] == -1.0 && PyErr_Occurred()) return -1;
    }
    return 0;
}

/* keep as a C array of at least one count, each at least 1 (allocated here). */
static int read_keep(PyObject *keep, Py_ssize_t **out, Py_ssize_t *count_out) {
    PyObject *items = PySequence_Tuple(keep);
    if (items == NULL) return -1;
    Py_ssize_t count = PyTuple_GET_SIZE(items);
    Py_ssize_t *counts = PyMem_Malloc((count ? count : 1) * sizeof(Py_ssize_t));
    if (counts == NULL) {
        Py_DECREF(items);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t k = 0; k < count; k++) {
        PyObject *number = PyNumber_Index(PyTuple_GET_ITEM(items, k));
        if (number == NULL) goto failed;
        counts[k] = PyLong_AsSsize_t(number);
        Py_DECREF(number);
        if (counts[k] == -1 && PyErr_Occurred()) goto failed;
    }
    Py_DECREF(items);
    *out = counts;
    *count_out = count;
    return 0;
failed:
    PyMem_Free(counts);
    Py_DECREF(items);
    return -1;
}

static int TitleAligner_init(TitleAligner *self, PyObject *args, PyObject *kwargs) {
    static char *keywords[] = {"forward_first", "forward", "rank_year", "stop_words", "costs",
                               "max_word_starts", "max_alignments", "keep", NULL};
    PyObject *sources[4], *costs, *keep_source;
    Py_ssize_t max_word_starts, max_alignments;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OOOOOnnO", keywords, &sources[0],
                                     &sources[1], &sources[2], &sources[3], &costs,
                                     &max_word_starts, &max_alignments, &keep_source))
        return -1;
    static const char *names[4] = {"forward_first", "forward", "rank_year", "stop_words"};
    static const Py_ssize_t sizes[4] = {8, 4, 4, 4};
    Py_buffer views[4];
    for (int k = 0; k < 4; k++) {
        if (take_int_buffer(sources[k], &views[k], names[k], sizes[k], 0) < 0) {
            while (k-- > 0) PyBuffer_Release(&views[k]);
            return -1;
        }
    }
    double prices[5];
    Py_ssize_t *keep = NULL, max_terms = 0;
    if (read_costs(costs, prices) < 0 || read_keep(keep_source, &keep, &max_terms) < 0) goto failed;
    const char *problem = NULL;
    if (views[0].len < 8) {
        problem = "forward_first needs one more entry than there are titles";
    } else if (views[2].len / 4 != views[0].len / 8 - 1) {
        problem = "rank_year needs one entry per title (one fewer than forward_first)";
    } else if (max_alignments < 1) {
        problem = "max_alignments must be at least 1";
    } else {
        int bad_keep = max_terms < 1;
        for (Py_ssize_t k = 0; k < max_terms; k++) bad_keep |= keep[k] < 1;
        if (bad_keep) problem = "keep needs a count of at least 1 for each number of terms";
    }
    if (problem != NULL) {
        PyErr_SetString(PyExc_ValueError, problem);
        goto failed;
    }
    release_buffers(self);
    self->forward_first = views[0];
    self->forward = views[1];
    self->rank_year = views[2];
    self->stop_words = views[3];
    self->entry = prices[0];
    self->stop_skip = prices[1];
    self->content_skip = prices[2];
    self->inversion = prices[3];
    self->stop_inversion = prices[4];
    self->max_word_starts = max_word_starts;
    self->max_alignments = max_alignments;
    self->keep = keep;
    self->max_terms = max_terms;
    self->ready = 1;
    return 0;
failed:
    PyMem_Free(keep);
    for (int k = 0; k < 4; k++) PyBuffer_Release(&views[k]);
    return -1;
}

static const char TERMS_SHAPE[] =
    "terms must be a sequence of (ranges, year): ranges a sequence of (lo, hi, cost) with int "
    "word ids and a float cost, year an int or None";

/* An exact int of the terms (see read_exact_int). */
static int read_int(PyObject *value, long long *out) {
    return read_exact_int(value, out, TERMS_SHAPE);
}

/* A float or an int as a double (no __float__ runs). */
static int read_cost(PyObject *value, double *out) {
    if (!PyFloat_Check(value) && !PyLong_Check(value)) {
        PyErr_SetString(PyExc_TypeError, TERMS_SHAPE);
        return -1;
    }
    *out = PyFloat_AsDouble(value);
    return *out == -1.0 && PyErr_Occurred() ? -1 : 0;
}

/* Reads terms into terms and ranges (allocated here; the caller frees them). */
static int parse_terms(PyObject *source, Term **terms_out, Py_ssize_t *count_out,
                       Range **ranges_out) {
    PyObject *outer, **triples;
    Py_ssize_t total;
    if (read_term_tuples(source, 2, TERMS_SHAPE, &outer, &triples, &total) < 0) return -1;
    Py_ssize_t count = PyTuple_GET_SIZE(outer);
    Term *terms = PyMem_Malloc((count ? count : 1) * sizeof(Term));
    Range *ranges = PyMem_Malloc((total ? total : 1) * sizeof(Range));
    if (terms == NULL || ranges == NULL) {
        PyErr_NoMemory();
        goto failed;
    }
    Py_ssize_t filled = 0;
    for (Py_ssize_t t = 0; t < count; t++) {
        PyObject *year = PyTuple_GET_ITEM(PyTuple_GET_ITEM(outer, t), 1);
        Term *term = &terms[t];
        term->first_range = filled;
        term->range_count = PyTuple_GET_SIZE(triples[t]);
        for (Py_ssize_t r = 0; r < term->range_count; r++, filled++) {
            PyObject *triple = PyTuple_GET_ITEM(triples[t], r);
            if (!PyTuple_Check(triple) || PyTuple_GET_SIZE(triple) != 3) {
                PyErr_SetString(PyExc_TypeError, TERMS_SHAPE);
                goto failed;
            }
            if (read_int(PyTuple_GET_ITEM(triple, 0), &ranges[filled].lo) < 0 ||
                read_int(PyTuple_GET_ITEM(triple, 1), &ranges[filled].hi) < 0 ||
                read_cost(PyTuple_GET_ITEM(triple, 2), &ranges[filled].cost) < 0)
                goto failed;
        }
        term->has_year = year != Py_None;
        term->year = 0;
        if (term->has_year && read_int(year, &term->year) < 0) goto failed;
    }
    release_term_tuples(outer, triples);
    *terms_out = terms;
    *count_out = count;
    *ranges_out = ranges;
    return 0;
failed:
    release_term_tuples(outer, triples);
    PyMem_Free(terms);
    PyMem_Free(ranges);
    return -1;
}

/* Option a comes before option b when cheaper, or as cheap and earlier. */
static int option_before(const Option *a, const Option *b) {
    return a->cost < b->cost || (a->cost == b->cost && a->position < b->position);
}

/* Sorted by (cost, position), as Python's sorted does; a term has at most a title's words. */
static void sort_options(Option *options, Py_ssize_t count) {
    for (Py_ssize_t i = 1; i < count; i++) {
        Option moving = options[i];
        Py_ssize_t j = i;
        while (j > 0 && option_before(&moving, &options[j - 1])) {
            options[j] = options[j - 1];
            j--;
        }
        options[j] = moving;
    }
}

/* The work space of one align call: per term, options for every title word and the year. */
typedef struct {
    Option *options;
    Py_ssize_t stride;     /* options per term: the longest title so far, plus the year */
    unsigned char *covered; /* per title position, while one assignment is priced */
    Py_ssize_t *counts, *chosen, *positions, *which, *best_positions, *best_which;
} Space;

static int space_fit(Space *space, Py_ssize_t term_count, Py_ssize_t words) {
    if (words + 1 <= space->stride) return 0;
    Py_ssize_t stride = words + 1;
    Option *options = PyMem_Realloc(space->options, term_count * stride * sizeof(Option));
    if (options == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    space->options = options;
    unsigned char *covered = PyMem_Realloc(space->covered, stride);
    if (covered == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    memset(covered, 0, stride);
    space->covered = covered;
    space->stride = stride;
    return 0;
}

typedef struct {
    double cost, spelling;
    Py_ssize_t skipped_stop, skipped_content, inversions, stop_inversions;
} Price;

/* Prices the assignment in space->positions; 0 when it is a plain prefix (passed over). */
static int price(const TitleAligner *self, Space *space, Py_ssize_t term_count,
                 const int32_t *words, const int32_t *stops, Price *out) {
    const Py_ssize_t *positions = space->positions;
    double spelling = 0.0;
    for (Py_ssize_t t = 0; t < term_count; t++) {
        spelling += space->options[t * space->stride + space->chosen[t]].cost;
    }
    Py_ssize_t inversions = 0, stop_inversions = 0, placed = 0, end = -1;
    for (Py_ssize_t right = 0; right < term_count; right++) {
        if (positions[right] < 0) continue;
        placed++;
        if (positions[right] > end) end = positions[right];
        for (Py_ssize_t left = 0; left < right; left++) {
            if (positions[left] < 0 || positions[left] <= positions[right]) continue;
            inversions++;
            stop_inversions += stops[words[positions[left]]] || stops[words[positions[right]]];
        }
    }
    for (Py_ssize_t t = 0; t < term_count; t++) {
        if (positions[t] >= 0) space->covered[positions[t]] = 1;
    }
    Py_ssize_t skipped_stop = 0, skipped_content = 0;
    for (Py_ssize_t position = 0; position <= end; position++) {
        if (space->covered[position]) continue;
        if (stops[words[position]]) {
            skipped_stop++;
        } else {
            skipped_content++;
        }
    }
    for (Py_ssize_t t = 0; t < term_count; t++) {
        if (positions[t] >= 0) space->covered[positions[t]] = 0;
    }
    int uses_year = placed < term_count;
    int edited = skipped_stop || skipped_content || inversions;
    if (!edited && !uses_year) return 0;
    double cost = spelling + self->entry + (double)skipped_stop * self->stop_skip +
                  (double)skipped_content * self->content_skip +
                  (double)(inversions - stop_inversions) * self->inversion +
                  (double)stop_inversions * self->stop_inversion;
    if (uses_year && !edited) cost -= self->entry;
    out->cost = cost;
    out->spelling = spelling;
    out->skipped_stop = skipped_stop;
    out->skipped_content = skipped_content;
    out->inversions = inversions;
    out->stop_inversions = stop_inversions;
    return 1;
}

/* The cheapest alignment of one title: 1 and best filled, or 0 when there is none (or the title
 * holds the typed words as a stretch from a word start). */
static int align_title(const TitleAligner *self, Space *space, const Term *terms,
                       Py_ssize_t term_count, const Range *ranges, const int32_t *words,
                       Py_ssize_t length, int32_t year, Price *best) {
    const int32_t *stops = self->stop_words.buf;
    Py_ssize_t stride = space->stride;
    for (Py_ssize_t t = 0; t < term_count; t++) {
        const Term *term = &terms[t];
        const Range *own = ranges + term->first_range;
        Option *options = space->options + t * stride;
        Py_ssize_t count = 0;
        for (Py_ssize_t at = 0; at < length; at++) {
            long long word = words[at];
            Py_ssize_t cheapest = -1;
            for (Py_ssize_t r = 0; r < term->range_count; r++) {
                if (word >= own[r].lo && word < own[r].hi &&
                    (cheapest < 0 || own[r].cost < own[cheapest].cost))
                    cheapest = r;
            }
            if (cheapest >= 0) {
                options[count].position = at;
                options[count].cost = own[cheapest].cost;
                options[count].which = cheapest;
                count++;
            }
        }
        if (term->has_year && term->year == (long long)year) {
            options[count].position = -1;
            options[count].cost = 0.0;
            options[count].which = -1;
            count++;
        }
        if (count == 0) return 0;
        space->counts[t] = count;
    }
    /* The product saturates just past the limit: only "more than max_alignments" matters. */
    Py_ssize_t total = 1;
    for (Py_ssize_t t = 0; t < term_count && total <= self->max_alignments; t++) {
        total *= space->counts[t];
    }
    if (total > self->max_alignments) {
        /* Repeated words multiply the assignments: keep the cheapest and earliest few. */
        Py_ssize_t keep = self->keep[term_count - 1];
        for (Py_ssize_t t = 0; t < term_count; t++) {
            sort_options(space->options + t * stride, space->counts[t]);
            if (space->counts[t] > keep) space->counts[t] = keep;
        }
    }
    int found = 0;
    for (Py_ssize_t t = 0; t < term_count; t++) space->chosen[t] = 0;
    for (;;) {
        for (Py_ssize_t t = 0; t < term_count; t++) {
            const Option *option = &space->options[t * stride + space->chosen[t]];
            space->positions[t] = option->position;
            space->which[t] = option->which;
        }
        Py_ssize_t first = space->positions[0];
        if (first >= 0 && first <= self->max_word_starts) {
            int run = 1;
            for (Py_ssize_t t = 1; t < term_count && run; t++) {
                run = space->positions[t] == first + t;
            }
            if (run) return 0; /* the prefix index reaches this title through that word start */
        }
        int distinct = 1;
        for (Py_ssize_t right = 1; right < term_count && distinct; right++) {
            if (space->positions[right] < 0) continue;
            for (Py_ssize_t left = 0; left < right; left++) {
                if (space->positions[left] == space->positions[right]) {
                    distinct = 0;
                    break;
                }
            }
        }
        Price priced = {0};
        if (distinct && price(self, space, term_count, words, stops, &priced) &&
            (!found || priced.cost < best->cost)) {
            *best = priced;
            found = 1;
            for (Py_ssize_t t = 0; t < term_count; t++) {
                space->best_positions[t] = space->positions[t];
                space->best_which[t] = space->which[t];
            }
        }
        /* The next assignment in itertools.product order: the last word moves fastest. */
        Py_ssize_t t = term_count - 1;
        while (t >= 0 && ++space->chosen[t] == space->counts[t]) space->chosen[t--] = 0;
        if (t < 0) break;
    }
    return found;
}

static PyObject *aligned_tuple(int32_t rank, const Price *best, const Space *space,
                               Py_ssize_t term_count) {
    PyObject *positions = PyTuple_New(term_count), *which = PyTuple_New(term_count);
    PyObject *result = NULL;
    if (positions == NULL || which == NULL) goto done;
    for (Py_ssize_t t = 0; t < term_count; t++) {
        PyObject *position = PyLong_FromSsize_t(space->best_positions[t]);
        if (position == NULL) goto done;
        PyTuple_SET_ITEM(positions, t, position);
        PyObject *read = PyLong_FromSsize_t(space->best_which[t]);
        if (read == NULL) goto done;
        PyTuple_SET_ITEM(which, t, read);
    }
    result = Py_BuildValue("(iddnnnnOO)", (int)rank, best->cost, best->spelling,
                           best->skipped_stop, best->skipped_content, best->inversions,
                           best->stop_inversions, positions, which);
done:
    Py_XDECREF(positions);
    Py_XDECREF(which);
    return result;
}

/* aligner.align(terms, ranks) -> [(rank, cost, spelling, skipped_stop, skipped_content,
 *                                  inversions, stop_inversions, positions, which), ...]
 *
 * The ranks (int32, any order) whose titles the terms align with, in the order given, each with
 * its cheapest alignment: the title position each typed word took (-1: the year) and the index
 * of the range it was read through (-1: the year). */
static PyObject *TitleAligner_align(TitleAligner *self, PyObject *const *args, Py_ssize_t nargs) {
    if (!self->ready) {
        PyErr_SetString(PyExc_RuntimeError, "TitleAligner was not initialized");
        return NULL;
    }
    if (nargs != 2) {
        PyErr_SetString(PyExc_TypeError, "align(terms, ranks) takes two arguments");
        return NULL;
    }
    Py_buffer block_view;
    if (take_int_buffer(args[1], &block_view, "ranks", 4, 0) < 0) return NULL;
    PyObject *found = NULL;
    Term *terms = NULL;
    Range *ranges = NULL;
    Py_ssize_t term_count = 0;
    Space space = {0};
    if (parse_terms(args[0], &terms, &term_count, &ranges) < 0) goto failed;
    if (term_count < 1 || term_count > self->max_terms) {
        PyErr_Format(PyExc_ValueError, "terms: 1 to %zd typed words, got %zd", self->max_terms,
                     term_count);
        goto failed;
    }
    space.counts = PyMem_Malloc(6 * term_count * sizeof(Py_ssize_t));
    if (space.counts == NULL) {
        PyErr_NoMemory();
        goto failed;
    }
    space.chosen = space.counts + term_count;
    space.positions = space.chosen + term_count;
    space.which = space.positions + term_count;
    space.best_positions = space.which + term_count;
    space.best_which = space.best_positions + term_count;
    if ((found = PyList_New(0)) == NULL) goto failed;

    const int32_t *block = block_view.buf;
    const int64_t *first = self->forward_first.buf;
    const int32_t *forward = self->forward.buf;
    const int32_t *years = self->rank_year.buf;
    Py_ssize_t size = block_view.len / 4;
    Py_ssize_t titles = self->forward_first.len / 8 - 1;
    Py_ssize_t words = self->forward.len / 4;
    Py_ssize_t vocabulary = self->stop_words.len / 4;
    for (Py_ssize_t at = 0; at < size; at++) {
        int32_t rank = block[at];
        if (rank < 0 || rank >= titles) {
            PyErr_Format(PyExc_IndexError, "rank %d outside the word index (%zd titles)",
                         (int)rank, titles);
            goto failed;
        }
        int64_t start = first[rank], end = first[rank + 1];
        if (start < 0 || start > end || end > words) {
            PyErr_Format(PyExc_IndexError,
                         "words %lld..%lld of rank %d outside the forward index (%zd)",
                         (long long)start, (long long)end, (int)rank, words);
            goto failed;
        }
        const int32_t *title = forward + start;
        Py_ssize_t length = (Py_ssize_t)(end - start);
        for (Py_ssize_t position = 0; position < length; position++) {
            if (title[position] < 0 || title[position] >= vocabulary) {
                PyErr_Format(PyExc_IndexError,
                             "word %d of rank %d outside the stop-word flags (%zd words)",
                             (int)title[position], (int)rank, vocabulary);
                goto failed;
            }
        }
        if (space_fit(&space, term_count, length) < 0) goto failed;
        Price best = {0};
        if (!align_title(self, &space, terms, term_count, ranges, title, length, years[rank],
                         &best))
            continue;
        PyObject *aligned = aligned_tuple(rank, &best, &space, term_count);
        if (aligned == NULL) goto failed;
        int appended = PyList_Append(found, aligned);
        Py_DECREF(aligned);
        if (appended < 0) goto failed;
    }
    goto done;
failed:
    Py_CLEAR(found);
done:
    PyMem_Free(space.options);
    PyMem_Free(space.covered);
    PyMem_Free(space.counts);
    PyMem_Free(terms);
    PyMem_Free(ranges);
    PyBuffer_Release(&block_view);
    return found;
}

static void TitleAligner_dealloc(TitleAligner *self) {
    release_buffers(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static PyMethodDef TitleAligner_methods[] = {
    {"align", (PyCFunction)(void (*)(void))TitleAligner_align, METH_FASTCALL,
     "align(terms, ranks) -> the ranks whose titles the terms align with, with the cheapest "
     "alignment of each"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject TitleAlignerType = {
    .ob_base = PyVarObject_HEAD_INIT(NULL, 0).tp_name =
        "autocomplete.rank._alignwords.TitleAligner",
    .tp_basicsize = sizeof(TitleAligner),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Typed words aligned at least cost with the titles of a word index's ranks.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)TitleAligner_init,
    .tp_dealloc = (destructor)TitleAligner_dealloc,
    .tp_methods = TitleAligner_methods,
};

/* Multi-phase initialisation (PEP 489): the import system makes the module object and this
 * fills it. The type is static and immutable once ready, so sharing it is safe. */
static int exec_module(PyObject *module) {
    if (PyType_Ready(&TitleAlignerType) < 0) return -1;
    Py_INCREF(&TitleAlignerType);
    if (PyModule_AddObject(module, "TitleAligner", (PyObject *)&TitleAlignerType) < 0) {
        Py_DECREF(&TitleAlignerType);
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
    .m_name = "autocomplete.rank._alignwords",
    .m_doc = "Typed words aligned with the titles of many ranks of a word index, in C.",
    .m_size = 0,
    .m_slots = module_slots,
};

PyMODINIT_FUNC PyInit__alignwords(void) { return PyModuleDef_Init(&module_definition); }
