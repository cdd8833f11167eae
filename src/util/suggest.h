/*
 * suggest.h - "did you mean" by edit distance: the one definition the
 * language front end (unknown keywords, names), the Slurm plugin's
 * plugstack.conf parser and the command lines (unknown commands and
 * options) share, so a typo is judged the same way everywhere.
 */
#ifndef OT_UTIL_SUGGEST_H
#define OT_UTIL_SUGGEST_H

/*
 * Levenshtein distance of a and b (a transposition of neighbours counts as
 * one edit: "lna" -> "lan"), or max + 1 when it exceeds max or either word
 * is longer than 63 bytes. Never fails.
 */
unsigned ot_edit_distance(const char *a, const char *b, unsigned max);

/*
 * Collects the candidate closest to `word` (for "did you mean 'x'?"). The
 * typo budget grows with the word: one edit per three letters, at least
 * one, at most three; a word of one letter gets no suggestion. word and the
 * candidates are borrowed: they must outlive the collector. Ties go to the
 * candidate first in byte order, so the answer does not depend on the
 * order candidates are offered in.
 */
struct ot_suggest {
	const char *word;
	const char *best;
	unsigned dist;
	unsigned max;
};

void ot_suggest_init(struct ot_suggest *s, const char *word);
void ot_suggest_add(struct ot_suggest *s, const char *candidate);
/* The best candidate close enough to be a plausible typo, or NULL. */
const char *ot_suggest_best(const struct ot_suggest *s);

#endif
