/*
 * Measurement markers. The emulator counts the instructions executed between
 * entering tf_marker_begin() and entering the following tf_marker_end(); the
 * count includes a fixed overhead of the begin function's body and the call
 * to tf_marker_end (2 instructions with the shipped implementation), which an
 * empty begin/end pair measures.
 *
 * They are real out-of-line functions (in their own translation unit, never
 * inlined) so that their entry addresses are ELF symbols that start a basic
 * block; on hardware they cost a call and a return.
 */
#ifndef TINYFORGE_MARKERS_H
#define TINYFORGE_MARKERS_H

#ifdef __cplusplus
extern "C" {
#endif

void tf_marker_begin(void);
void tf_marker_end(void);

#ifdef __cplusplus
}
#endif

#endif /* TINYFORGE_MARKERS_H */
