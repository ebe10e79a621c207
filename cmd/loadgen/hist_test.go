package main

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

// nearestRank is the exact nearest-rank quantile of sorted values.
func nearestRank(sorted []int64, q float64) int64 {
	r := int(math.Ceil(q * float64(len(sorted))))
	r = min(max(r, 1), len(sorted))
	return sorted[r-1]
}

func TestQuantileExact(t *testing.T) {
	seq := func(n int) []int64 {
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(i + 1)
		}
		return out
	}
	for _, tc := range []struct {
		name               string
		values             []int64
		p50, p90, p99, max int64
	}{
		{"one value", []int64{42}, 42, 42, 42, 42},
		{"two values", []int64{10, 20}, 10, 20, 20, 20},
		{"1..100", seq(100), 50, 90, 99, 100},
		{"1..200", seq(200), 100, 180, 198, 200},
		{"1..10", seq(10), 5, 9, 10, 10},
		{"skewed", []int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 250}, 1, 1, 250, 250},
		{"zeros", []int64{0, 0, 0}, 0, 0, 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistogram()
			for _, v := range rand.Perm(len(tc.values)) { // order must not matter
				h.RecordMicros(tc.values[v])
			}
			for _, c := range []struct {
				q    float64
				want int64
			}{{0.5, tc.p50}, {0.9, tc.p90}, {0.99, tc.p99}, {1, tc.max}} {
				if got := h.Quantile(c.q); got != c.want {
					t.Errorf("q%.2f = %d, want %d", c.q, got, c.want)
				}
			}
			if h.Count() != uint64(len(tc.values)) {
				t.Errorf("count %d, want %d", h.Count(), len(tc.values))
			}
		})
	}
}

// TestQuantileRelativeError: above the exact range a quantile is within
// 1/128 of the exact nearest-rank value, never outside [min, max].
func TestQuantileRelativeError(t *testing.T) {
	for _, tc := range []struct {
		name string
		gen  func(*rand.Rand) int64
	}{
		{"uniform to 1 s", func(r *rand.Rand) int64 { return r.Int64N(1_000_000) }},
		{"log-normal around 5 ms", func(r *rand.Rand) int64 { return int64(5000 * math.Exp(r.NormFloat64())) }},
		{"bimodal", func(r *rand.Rand) int64 {
			if r.IntN(100) == 0 {
				return 2_000_000 + r.Int64N(1000)
			}
			return 300 + r.Int64N(50)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, 2))
			h := NewHistogram()
			vals := make([]int64, 20000)
			for i := range vals {
				vals[i] = tc.gen(r)
				h.RecordMicros(vals[i])
			}
			slices.Sort(vals)
			for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
				want, got := nearestRank(vals, q), h.Quantile(q)
				if got < want || float64(got-want) > float64(want)/subBuckets+1 {
					t.Errorf("q%g = %d, exact %d", q, got, want)
				}
				if got < vals[0] || got > vals[len(vals)-1] {
					t.Errorf("q%g = %d outside [%d, %d]", q, got, vals[0], vals[len(vals)-1])
				}
			}
		})
	}
}

func TestBucketsCoverEveryValue(t *testing.T) {
	for _, v := range []int64{0, 1, 255, 256, 257, 511, 512, 513, 1 << 20, 1<<20 + 12345, 1 << 40} {
		lo, hi := bucketRange(bucketOf(v))
		if v < lo || v > hi {
			t.Errorf("value %d in bucket [%d, %d]", v, lo, hi)
		}
		if v >= exactBelow && float64(hi-lo+1) > float64(lo)/subBuckets {
			t.Errorf("bucket [%d, %d] wider than 1/%d", lo, hi, subBuckets)
		}
	}
	for i := 1; i < 3000; i++ { // adjacent buckets tile the line
		_, prevHi := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		if lo != prevHi+1 {
			t.Fatalf("bucket %d starts at %d, previous ends at %d", i, lo, prevHi)
		}
	}
}

func TestSummaryAndConcurrency(t *testing.T) {
	h := NewHistogram()
	if s := h.Summary(); s != (Summary{}) {
		t.Errorf("empty summary %+v", s)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.Record(time.Duration(g*1000+i+1) * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	s := h.Summary()
	if s.Count != 8000 || s.MaxMS != 8 {
		t.Errorf("summary %+v, want 8000 values up to 8 ms", s)
	}
	if math.Abs(s.MeanMS-4.0005) > 1e-9 {
		t.Errorf("mean %v ms, want 4.0005", s.MeanMS)
	}
	if s.P50MS < 3.97 || s.P50MS > 4.03 {
		t.Errorf("p50 %v ms, want about 4", s.P50MS)
	}
}
