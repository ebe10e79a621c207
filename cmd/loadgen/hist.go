package main

import (
	"math"
	"math/bits"
	"sync"
	"time"
)

// Histogram records durations in microseconds in log-linear buckets: exact
// below 256 µs, and within 1/128 (< 0.8 %) of the true value above, so
// memory stays fixed (a few tens of KiB) however long a run lasts. Count,
// min, max and sum are exact. It is safe for concurrent use.
type Histogram struct {
	mu       sync.Mutex
	counts   []uint64
	n        uint64
	min, max int64
	sum      float64
}

const (
	subBits    = 7
	subBuckets = 1 << subBits // buckets per power of two above the exact range
	exactBelow = 2 * subBuckets
)

// NewHistogram returns an empty histogram.
func NewHistogram() *Histogram { return &Histogram{min: math.MaxInt64} }

// bucketOf is the bucket index of v ≥ 0.
func bucketOf(v int64) int {
	if v < exactBelow {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - (subBits + 1) // v>>shift is in [128, 256)
	return exactBelow + (shift-1)*subBuckets + int(v>>shift) - subBuckets
}

// bucketRange is the smallest and largest value of bucket i.
func bucketRange(i int) (lo, hi int64) {
	if i < exactBelow {
		return int64(i), int64(i)
	}
	j := i - exactBelow
	shift := j/subBuckets + 1
	top := int64(j%subBuckets + subBuckets)
	lo = top << shift
	return lo, lo + (1 << shift) - 1
}

// Record adds one duration (negative durations count as 0).
func (h *Histogram) Record(d time.Duration) { h.RecordMicros(d.Microseconds()) }

// RecordMicros adds one value in microseconds.
func (h *Histogram) RecordMicros(v int64) {
	if v < 0 {
		v = 0
	}
	i := bucketOf(v)
	h.mu.Lock()
	defer h.mu.Unlock()
	if i >= len(h.counts) {
		grown := make([]uint64, i+1+subBuckets)
		copy(grown, h.counts)
		h.counts = grown
	}
	h.counts[i]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Count is the number of recorded values.
func (h *Histogram) Count() uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// Quantile is the nearest-rank q-quantile (0 < q ≤ 1) in microseconds:
// the smallest recorded value v such that at least q of the values are
// ≤ v, up to the bucket precision (reported as the bucket's largest
// value, clamped to the exact min and max). 0 when empty.
func (h *Histogram) Quantile(q float64) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.quantile(q)
}

func (h *Histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	rank = min(rank, h.n)
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			_, hi := bucketRange(i)
			return max(min(hi, h.max), h.min)
		}
	}
	return h.max
}

// Summary is a histogram's figures in milliseconds.
type Summary struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P99MS  float64 `json:"p99_ms"`
	MaxMS  float64 `json:"max_ms"`
}

// Summary returns the count, mean, p50, p90, p99 and max.
func (h *Histogram) Summary() Summary {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n == 0 {
		return Summary{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return Summary{Count: h.n, MeanMS: h.sum / float64(h.n) / 1000, P50MS: ms(h.quantile(0.50)),
		P90MS: ms(h.quantile(0.90)), P99MS: ms(h.quantile(0.99)), MaxMS: ms(h.max)}
}
