package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    map[string]int
		wantErr bool
	}{
		{"whatsapp=60,messenger=20,telegram=10,widget=10", map[string]int{"whatsapp": 60, "messenger": 20, "telegram": 10, "widget": 10}, false},
		{" whatsapp = 1 ", map[string]int{"whatsapp": 1}, false},
		{"whatsapp=1,whatsapp=2", map[string]int{"whatsapp": 3}, false},
		{"instagram=5", nil, true},
		{"whatsapp", nil, true},
		{"whatsapp=-1", nil, true},
		{"whatsapp=0", nil, true},
		{"", nil, true},
	} {
		got, err := parseMix(tc.in)
		if (err != nil) != tc.wantErr || (!tc.wantErr && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("parseMix(%q) = %v, %v", tc.in, got, err)
		}
	}
}

func TestParseMetrics(t *testing.T) {
	text := `# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 5.24288e+07
process_cpu_seconds_total 12.5
go_goroutines 321
http_requests_total{code="200"} 9
`
	g := parseMetrics(strings.NewReader(text))
	if !g.OK || g.RSSBytes != 52428800 || g.CPUSeconds != 12.5 || g.Goroutines != 321 {
		t.Errorf("parsed %+v", g)
	}
	if g := parseMetrics(strings.NewReader("no metrics here\n")); g.OK {
		t.Errorf("parsed %+v from text without the metric", g)
	}
}

// TestJudge: acknowledged but absent is missing, stored twice is
// duplicated whether acknowledged or not, stored once without an answer
// is only counted, and unsent sequence numbers are skipped.
func TestJudge(t *testing.T) {
	r := &runner{}
	set := func(seq int64, v byte) { r.ledger.set(seq, v) }
	set(0, stSent|stAcked)  // stored once: fine
	set(1, stSent|stAcked)  // missing
	set(2, stSent|stAcked)  // duplicated
	set(3, stSent|stFailed) // stored once without an answer
	set(4, stSent|stFailed) // not stored, not acked: fine
	set(5, stSent|stFailed) // duplicated without an answer
	set(chunkSize+3, stSent|stAcked)
	counts := map[int64]int{0: 1, 2: 2, 3: 1, 5: 2, chunkSize + 3: 1}
	v := r.judge(counts, []int64{0, 1, 2, 3, 4, 5, 6, chunkSize + 3})
	want := Verification{Checked: 7, Acked: 4, Missing: 1, Duplicated: 2, StoredUnacked: 1, MissingSeqs: []int64{1}}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("judge = %+v, want %+v", v, want)
	}
	ok := r.judge(map[int64]int{0: 1}, []int64{0})
	if !ok.OK || ok.Checked != 1 {
		t.Errorf("clean run judged %+v", ok)
	}
}
