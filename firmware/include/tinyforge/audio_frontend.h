/*
 * tinyforge audio frontend: TensorFlow's microfrontend (window, fixed-point
 * FFT, mel filterbank, noise reduction, PCAN gain control, log) in integer C,
 * byte-identical to codegen/features/microfrontend.py, which is itself
 * byte-identical to TensorFlow's audio_microfrontend op.
 *
 * Streaming: samples go in as they arrive (any chunk size); every completed
 * window (each hop after the first full window) yields one slice of
 * TF_FE_NUM_CHANNELS values. A ring of TF_FE_FRAMES int8 slices is what the
 * model reads, oldest slice first.
 *
 * Every size, shift and table comes from the feature recipe, rendered into
 * audio_frontend_config.h / audio_frontend_tables.c by codegen (templates/
 * audio_frontend_*.j2); nothing here needs a float or malloc.
 */
#ifndef TINYFORGE_AUDIO_FRONTEND_H
#define TINYFORGE_AUDIO_FRONTEND_H

#include <stddef.h>
#include <stdint.h>

#include "audio_frontend_config.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    int16_t input[TF_FE_WINDOW_SAMPLES];           /* samples of the window being filled */
    uint32_t input_used;
    uint32_t noise_estimate[TF_FE_NUM_CHANNELS];   /* NoiseReductionState.estimate, also PCAN's input */
} tf_frontend;

typedef struct {
    int8_t slices[TF_FE_FRAMES][TF_FE_NUM_CHANNELS];
    uint32_t next;                                  /* slot the next slice goes to = oldest slice */
} tf_feature_ring;

/* Back to the state of a fresh FrontendState: empty window, zero noise estimate. */
void tf_frontend_reset(tf_frontend *fe);

/* Takes up to n samples, stopping early when a window completes; returns how
 * many it took. When a window completed, writes its TF_FE_NUM_CHANNELS
 * uint16 features to slice and sets *produced to 1, else sets it to 0. */
size_t tf_frontend_process(tf_frontend *fe, const int16_t *samples, size_t n, uint16_t *slice, int *produced);

/* The recipe's uint16 -> int8 formula: clip(floor((v * M + O) / D) + Z, min, max). */
void tf_frontend_quantize(const uint16_t *slice, int8_t *out);

void tf_feature_ring_reset(tf_feature_ring *ring);
void tf_feature_ring_push(tf_feature_ring *ring, const int8_t *slice);
/* The TF_FE_FRAMES x TF_FE_NUM_CHANNELS tensor, oldest slice first. */
void tf_feature_ring_copy(const tf_feature_ring *ring, int8_t *out);

/* n samples through the frontend as a microphone would deliver them: every slice it completes is quantized
 * and pushed into the ring. Returns how many slices were pushed. The test and stream applications share it. */
uint32_t tf_frontend_feed(tf_frontend *fe, tf_feature_ring *ring, const int16_t *samples, uint32_t n);

#ifdef __cplusplus
}
#endif

#endif /* TINYFORGE_AUDIO_FRONTEND_H */
