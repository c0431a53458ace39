/*
 * The microfrontend's arithmetic, step for step as tensorflow/lite/
 * experimental/microfrontend/lib computes it (window.c, fft.cc with kiss_fft
 * FIXED_POINT=16, filterbank.c, noise_reduction.c, pcan_gain_control.c,
 * log_scale.c). Where the library stores into an int16_t, uint32_t or
 * uint64_t, so does this code, so wraps and truncations happen at the same
 * places. codegen/features/microfrontend.py is the same algorithm in numpy;
 * tests compare the two on every clip.
 */
#include "tinyforge/audio_frontend.h"

#include "audio_frontend_tables.h"

#define WINDOW_BITS 12
#define NOISE_REDUCTION_BITS 14
#define PCAN_SNR_BITS 12
#define PCAN_OUTPUT_BITS 6
#define LOG_SCALE_BITS 16
#define LOG_SEGMENTS_BITS 7
#define LOG_COEFF 45426u
#define SAMP_MAX 32767

#define NCFFT (TF_FE_FFT_SIZE / 2)

typedef struct {
    int16_t r, i;
} cpx16;

/* Scratch shared by every frontend instance: a window is processed start to end in one call. */
static cpx16 fft_work[NCFFT];
/* kiss_fftr's output; FilterbankConvertFftComplexToEnergy then overwrites each bin with its energy in place. */
static union {
    cpx16 c;
    int32_t energy;
} spectrum[NCFFT + 1];
static uint64_t filterbank_work[TF_FE_NUM_CHANNELS + 1];

static inline int msb32(uint32_t x)
{
    return x == 0 ? 0 : 32 - __builtin_clz(x);
}

static inline int msb64(uint64_t x)
{
    return x == 0 ? 0 : 64 - __builtin_clzll(x);
}

/* kiss_fft's sround: Q15 product back to int16, rounding half up. */
static inline int16_t sround(int32_t x)
{
    return (int16_t)((x + (1 << 14)) >> 15);
}

/* C_FIXDIV: scale by 1/k as a Q15 multiply by SAMP_MAX/k, which is what keeps the FFT from overflowing. */
static inline cpx16 fixdiv(cpx16 a, int k)
{
    const int32_t scale = SAMP_MAX / k;
    cpx16 out = {sround((int32_t)a.r * scale), sround((int32_t)a.i * scale)};
    return out;
}

static inline cpx16 cmul(cpx16 a, const int16_t *tw)
{
    cpx16 out = {sround((int32_t)a.r * tw[0] - (int32_t)a.i * tw[1]),
                 sround((int32_t)a.r * tw[1] + (int32_t)a.i * tw[0])};
    return out;
}

static inline cpx16 cadd(cpx16 a, cpx16 b)
{
    cpx16 out = {(int16_t)(a.r + b.r), (int16_t)(a.i + b.i)};
    return out;
}

static inline cpx16 csub(cpx16 a, cpx16 b)
{
    cpx16 out = {(int16_t)(a.r - b.r), (int16_t)(a.i - b.i)};
    return out;
}

/* kf_bfly2 / kf_bfly4 (forward), applied stage by stage innermost first, the
 * order kf_work's recursion unwinds in; fft_work already holds the input in
 * kf_work's load order (tf_fe_fft_input_order). */
static void complex_fft(void)
{
    for (int stage = TF_FE_FFT_STAGES - 1; stage >= 0; --stage) {
        const int p = tf_fe_fft_stages[stage][0];
        const int m = tf_fe_fft_stages[stage][1];
        const int fstride = NCFFT / (p * m);
        for (int base = 0; base < NCFFT; base += p * m) {
            cpx16 *f = &fft_work[base];
            for (int k = 0; k < m; ++k) {
                if (p == 2) {
                    const cpx16 f0 = fixdiv(f[k], 2);
                    const cpx16 t = cmul(fixdiv(f[k + m], 2), &tf_fe_twiddles[2 * (k * fstride)]);
                    f[k + m] = csub(f0, t);
                    f[k] = cadd(f0, t);
                } else {
                    const cpx16 f0 = fixdiv(f[k], 4);
                    const cpx16 s0 = cmul(fixdiv(f[k + m], 4), &tf_fe_twiddles[2 * (k * fstride)]);
                    const cpx16 s1 = cmul(fixdiv(f[k + 2 * m], 4), &tf_fe_twiddles[2 * (2 * k * fstride)]);
                    const cpx16 s2 = cmul(fixdiv(f[k + 3 * m], 4), &tf_fe_twiddles[2 * (3 * k * fstride)]);
                    const cpx16 s5 = csub(f0, s1);
                    const cpx16 f0b = cadd(f0, s1);
                    const cpx16 s3 = cadd(s0, s2);
                    const cpx16 s4 = csub(s0, s2);
                    f[k + 2 * m] = csub(f0b, s3);
                    f[k] = cadd(f0b, s3);
                    f[k + m].r = (int16_t)(s5.r + s4.i);
                    f[k + m].i = (int16_t)(s5.i - s4.r);
                    f[k + 3 * m].r = (int16_t)(s5.r - s4.i);
                    f[k + 3 * m].i = (int16_t)(s5.i + s4.r);
                }
            }
        }
    }
}

/* kiss_fftr's split of the half-length complex FFT of (even, odd) samples into the real spectrum. */
static void real_fft_split(void)
{
    const cpx16 dc = fixdiv(fft_work[0], 2);
    spectrum[0].c.r = (int16_t)(dc.r + dc.i);
    spectrum[0].c.i = 0;
    spectrum[NCFFT].c.r = (int16_t)(dc.r - dc.i);
    spectrum[NCFFT].c.i = 0;
    for (int k = 1; k <= NCFFT / 2; ++k) {
        const cpx16 fpk = fixdiv(fft_work[k], 2);
        cpx16 fpnk = fft_work[NCFFT - k];
        fpnk.i = (int16_t)-fpnk.i;
        fpnk = fixdiv(fpnk, 2);
        const cpx16 f1k = cadd(fpk, fpnk);
        const cpx16 tw = cmul(csub(fpk, fpnk), &tf_fe_super_twiddles[2 * (k - 1)]);
        spectrum[k].c.r = (int16_t)((f1k.r + tw.r) >> 1);
        spectrum[k].c.i = (int16_t)((f1k.i + tw.i) >> 1);
        spectrum[NCFFT - k].c.r = (int16_t)((f1k.r - tw.r) >> 1);
        spectrum[NCFFT - k].c.i = (int16_t)((tw.i - f1k.i) >> 1);
    }
}

/* Sqrt32 / Sqrt64 of filterbank.c: bitwise integer root, rounded up when the
 * remainder exceeds the root (unless the root is already the width's maximum). */
static uint16_t sqrt32(uint32_t num)
{
    if (num == 0) {
        return 0;
    }
    uint32_t res = 0;
    int max_bit_number = (32 - msb32(num)) | 1;
    uint32_t bit = 1u << (31 - max_bit_number);
    for (int iterations = (31 - max_bit_number) / 2 + 1; iterations > 0; --iterations) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFF) {
        ++res;
    }
    return (uint16_t)res;
}

static uint32_t sqrt64(uint64_t num)
{
    if ((num >> 32) == 0) {
        return sqrt32((uint32_t)num);
    }
    uint64_t res = 0;
    int max_bit_number = (64 - msb64(num)) | 1;
    uint64_t bit = 1ull << (63 - max_bit_number);
    for (int iterations = (63 - max_bit_number) / 2 + 1; iterations > 0; --iterations) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFFFFFull) {
        ++res;
    }
    return (uint32_t)res;
}

/* PCAN's gain for a noise estimate: a quadratic per octave of x from tf_fe_gain_lut. */
static int16_t wide_dynamic_function(uint32_t x)
{
    if (x <= 2) {
        return tf_fe_gain_lut[x];
    }
    const int interval = msb32(x);
    const int16_t *lut = &tf_fe_gain_lut[4 * interval - 6];
    const int16_t frac = (int16_t)(((interval < 11) ? (x << (11 - interval)) : (x >> (interval - 11))) & 0x3FF);
    int32_t result = ((int32_t)lut[2] * frac) >> 5;
    result += (int32_t)((uint32_t)lut[1] << 5);
    result = (int32_t)((uint32_t)result * (uint32_t)frac);   /* wraps like the library's int32 product */
    result = (int32_t)((uint32_t)result + (1u << 14)) >> 15;
    result += lut[0];
    return (int16_t)result;
}

static uint32_t pcan_shrink(uint32_t x)
{
    if (x < (2u << PCAN_SNR_BITS)) {
        return (x * x) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS);
    }
    return (x >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1u << PCAN_OUTPUT_BITS);
}

/* ln(x) * 2^scale_shift via log2 = integer part + table-interpolated fraction (log_scale.c). */
static uint32_t log_scaled(uint32_t x)
{
    const uint32_t integer = (uint32_t)msb32(x) - 1;
    int32_t frac = (int32_t)(x - (1u << integer));
    if (integer < LOG_SCALE_BITS) {
        frac <<= LOG_SCALE_BITS - integer;
    } else {
        frac >>= integer - LOG_SCALE_BITS;
    }
    const uint32_t base_seg = (uint32_t)frac >> (LOG_SCALE_BITS - LOG_SEGMENTS_BITS);
    const int32_t seg_base = (int32_t)(base_seg << (LOG_SCALE_BITS - LOG_SEGMENTS_BITS));
    const int32_t c0 = tf_fe_log_lut[base_seg];
    const int32_t c1 = tf_fe_log_lut[base_seg + 1];
    const int32_t rel_pos = ((c1 - c0) * (frac - seg_base)) >> LOG_SCALE_BITS;
    const uint32_t fraction = (uint32_t)(frac + c0 + rel_pos);
    const uint32_t log2 = (integer << LOG_SCALE_BITS) + fraction;
    const uint32_t round = 1u << (LOG_SCALE_BITS - 1);
    const uint32_t loge = (uint32_t)(((uint64_t)LOG_COEFF * log2 + round) >> LOG_SCALE_BITS);
    return ((loge << TF_FE_SCALE_SHIFT) + round) >> LOG_SCALE_BITS;
}

void tf_frontend_reset(tf_frontend *fe)
{
    fe->input_used = 0;
    for (int i = 0; i < TF_FE_NUM_CHANNELS; ++i) {
        fe->noise_estimate[i] = 0;
    }
}

static void process_window(tf_frontend *fe, uint16_t *slice)
{
    /* Window, and the shift that puts the largest windowed sample's top bit at
     * bit 14: the fixed-point FFT then works at full precision whatever the level. */
    int16_t max_abs = 0;
    for (int i = 0; i < TF_FE_WINDOW_SAMPLES; ++i) {
        int16_t v = (int16_t)(((int32_t)fe->input[i] * tf_fe_window[i]) >> WINDOW_BITS);
        if (v < 0) {
            v = (int16_t)-v;
        }
        if (v > max_abs) {
            max_abs = v;
        }
    }
    const int input_shift = 15 - msb32((uint32_t)max_abs);

    /* The real FFT packs even samples as real parts, odd as imaginary, loaded in kf_work's order. */
    for (int k = 0; k < NCFFT; ++k) {
        int16_t pair[2];
        for (int j = 0; j < 2; ++j) {
            const int n = 2 * tf_fe_fft_input_order[k] + j;
            pair[j] = n < TF_FE_WINDOW_SAMPLES
                          ? (int16_t)((int16_t)(((int32_t)fe->input[n] * tf_fe_window[n]) >> WINDOW_BITS) *
                                      (1 << input_shift))
                          : 0;
        }
        fft_work[k].r = pair[0];
        fft_work[k].i = pair[1];
    }
    complex_fft();
    real_fft_split();

    for (int i = TF_FE_START_INDEX; i < TF_FE_END_INDEX; ++i) {
        const int32_t real = spectrum[i].c.r;
        const int32_t imag = spectrum[i].c.i;
        spectrum[i].energy = (int32_t)((uint32_t)(real * real) + (uint32_t)(imag * imag));
    }

    /* Triangular mel filters: each bin's energy goes weight-wise into its channel
     * and (1 - weight)-wise into the next one. */
    uint64_t weight_acc = 0, unweight_acc = 0;
    for (int chan = 0; chan < TF_FE_NUM_CHANNELS + 1; ++chan) {
        const int start = tf_fe_channel_frequency_starts[chan];
        const int w = tf_fe_channel_weight_starts[chan];
        for (int j = 0; j < tf_fe_channel_widths[chan]; ++j) {
            const uint64_t magnitude = (uint64_t)(int64_t)spectrum[start + j].energy;
            weight_acc += (uint64_t)(int64_t)tf_fe_weights[w + j] * magnitude;
            unweight_acc += (uint64_t)(int64_t)tf_fe_unweights[w + j] * magnitude;
        }
        filterbank_work[chan] = weight_acc;
        weight_acc = unweight_acc;
        unweight_acc = 0;
    }

    for (int i = 0; i < TF_FE_NUM_CHANNELS; ++i) {
        uint32_t signal = sqrt64(filterbank_work[i + 1]) >> input_shift;

        /* Noise reduction: a per-channel running estimate (even and odd channels smoothed differently). */
        const uint32_t smoothing = (i & 1) == 0 ? TF_FE_EVEN_SMOOTHING : TF_FE_ODD_SMOOTHING;
        const uint32_t one_minus_smoothing = (1u << NOISE_REDUCTION_BITS) - smoothing;
        const uint32_t signal_scaled_up = signal << TF_FE_SMOOTHING_BITS;
        uint32_t estimate = (uint32_t)(((uint64_t)signal_scaled_up * smoothing +
                                        (uint64_t)fe->noise_estimate[i] * one_minus_smoothing) >>
                                       NOISE_REDUCTION_BITS);
        fe->noise_estimate[i] = estimate;
        if (estimate > signal_scaled_up) {
            estimate = signal_scaled_up;
        }
        const uint32_t floor = (uint32_t)(((uint64_t)signal * TF_FE_MIN_SIGNAL_REMAINING) >> NOISE_REDUCTION_BITS);
        const uint32_t subtracted = (signal_scaled_up - estimate) >> TF_FE_SMOOTHING_BITS;
        signal = subtracted > floor ? subtracted : floor;

#if TF_FE_ENABLE_PCAN
        /* Per-channel automatic gain control: divide by a power of the noise estimate. */
        const uint32_t gain = (uint32_t)(int32_t)wide_dynamic_function(fe->noise_estimate[i]);
        signal = pcan_shrink((uint32_t)(((uint64_t)signal * gain) >> TF_FE_SNR_SHIFT));
#endif

#if TF_FE_ENABLE_LOG
#if TF_FE_CORRECTION_BITS < 0
        signal >>= -(TF_FE_CORRECTION_BITS);
#else
        signal <<= TF_FE_CORRECTION_BITS;
#endif
        signal = signal > 1 ? log_scaled(signal) : 0;
#endif
        slice[i] = (uint16_t)((signal < 0xFFFFu ? signal : 0xFFFFu) / TF_FE_OUT_SCALE);
    }
}

size_t tf_frontend_process(tf_frontend *fe, const int16_t *samples, size_t n, uint16_t *slice, int *produced)
{
    size_t take = TF_FE_WINDOW_SAMPLES - fe->input_used;
    if (take > n) {
        take = n;
    }
    for (size_t i = 0; i < take; ++i) {
        fe->input[fe->input_used + i] = samples[i];
    }
    fe->input_used += take;
    *produced = 0;
    if (fe->input_used < TF_FE_WINDOW_SAMPLES) {
        return take;
    }
    process_window(fe, slice);
    /* Keep the overlap: the next window starts one hop later. */
    for (int i = 0; i < TF_FE_WINDOW_SAMPLES - TF_FE_STEP_SAMPLES; ++i) {
        fe->input[i] = fe->input[i + TF_FE_STEP_SAMPLES];
    }
    fe->input_used -= TF_FE_STEP_SAMPLES;
    *produced = 1;
    return take;
}

void tf_frontend_quantize(const uint16_t *slice, int8_t *out)
{
    for (int i = 0; i < TF_FE_NUM_CHANNELS; ++i) {
        const int32_t scaled = (int32_t)slice[i] * TF_FE_Q_MULTIPLIER + TF_FE_Q_OFFSET;
        /* floor division, as the recipe's Python formula (//) rounds */
        int32_t q = scaled / TF_FE_Q_DIVISOR;
        if (q * TF_FE_Q_DIVISOR > scaled) {
            --q;
        }
        q += TF_FE_Q_ZERO_POINT;
        out[i] = (int8_t)(q < TF_FE_Q_MIN ? TF_FE_Q_MIN : (q > TF_FE_Q_MAX ? TF_FE_Q_MAX : q));
    }
}

void tf_feature_ring_reset(tf_feature_ring *ring)
{
    for (int f = 0; f < TF_FE_FRAMES; ++f) {
        for (int c = 0; c < TF_FE_NUM_CHANNELS; ++c) {
            ring->slices[f][c] = (int8_t)TF_FE_Q_SILENCE;
        }
    }
    ring->next = 0;
}

void tf_feature_ring_push(tf_feature_ring *ring, const int8_t *slice)
{
    for (int c = 0; c < TF_FE_NUM_CHANNELS; ++c) {
        ring->slices[ring->next][c] = slice[c];
    }
    ring->next = (ring->next + 1) % TF_FE_FRAMES;
}

void tf_feature_ring_copy(const tf_feature_ring *ring, int8_t *out)
{
    uint32_t f = ring->next;
    for (int k = 0; k < TF_FE_FRAMES; ++k) {
        for (int c = 0; c < TF_FE_NUM_CHANNELS; ++c) {
            *out++ = ring->slices[f][c];
        }
        f = (f + 1) % TF_FE_FRAMES;
    }
}

uint32_t tf_frontend_feed(tf_frontend *fe, tf_feature_ring *ring, const int16_t *samples, uint32_t n)
{
    uint32_t done = 0, pushed = 0;
    while (done < n) {
        uint16_t slice[TF_FE_NUM_CHANNELS];
        int8_t quantized[TF_FE_NUM_CHANNELS];
        int produced;
        done += (uint32_t)tf_frontend_process(fe, samples + done, n - done, slice, &produced);
        if (produced) {
            tf_frontend_quantize(slice, quantized);
            tf_feature_ring_push(ring, quantized);
            ++pushed;
        }
    }
    return pushed;
}
