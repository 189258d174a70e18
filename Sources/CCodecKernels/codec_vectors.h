// The codec kernels' 16-lane float vectors (GCC/clang vector extensions, lowered for whichever target a
// function is compiled for) and the snake activation on them.
#ifndef CODEC_VECTORS_H
#define CODEC_VECTORS_H

#define LANES 16

typedef float v16 __attribute__((vector_size(64), aligned(4)));

// Macros rather than functions: a 64-byte vector may not cross a call in the AVX2 and baseline clones.
#define splat(a) ({ float s_ = (a); (v16){s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_, s_}; })
#define load16(p) (*(const v16 *)(p))
#define store16(p, value) (*(v16 *)(p) = (value))

typedef unsigned v16u __attribute__((vector_size(64), aligned(4)));

/// The fast sine below on 16 lanes (the same arithmetic as the scalar version).
#define FAST_SIN16(x, result)                                                          \
    do {                                                                               \
        v16 q_ = (x) * splat(0.318309886183790671538f) + splat(12582912.0f);           \
        v16 n_ = q_ - splat(12582912.0f);                                              \
        v16 r_ = (x) - n_ * splat(3.140625f);                                          \
        r_ -= n_ * splat(0.0009670257568359375f);                                      \
        r_ -= n_ * splat(6.2771141529083251953e-07f);                                  \
        r_ -= n_ * splat(1.2154201256553420762e-10f);                                  \
        v16 r2_ = r_ * r_;                                                             \
        v16 p_ = splat(2.6083159809786593541503e-06f);                                 \
        p_ = p_ * r2_ - splat(0.0001981069071916863322258f);                          \
        p_ = p_ * r2_ + splat(0.00833307858556509017944336f);                         \
        p_ = p_ * r2_ - splat(0.166666597127914428710938f);                           \
        v16 s_ = r_ + r_ * r2_ * p_;                                                   \
        v16u sign_ = ((v16u)q_ & 1u) << 31;                                            \
        (result) = (v16)((v16u)s_ ^ sign_);                                            \
    } while (0)

/// snake(x) = x + sin(a x)^2 / (a + 1e-9) on 16 lanes.
#define SNAKE16(v, a, inverse, result)                                                 \
    do {                                                                               \
        v16 s16_;                                                                      \
        FAST_SIN16(splat(a) * (v), s16_);                                              \
        (result) = (v) + splat(inverse) * (s16_ * s16_);                               \
    } while (0)

#endif
