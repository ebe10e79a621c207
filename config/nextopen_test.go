package config

import (
	"testing"
	"time"
)

func TestBusinessHoursNextOpen(t *testing.T) {
	bh := BusinessHours{Timezone: "Europe/Berlin", Week: map[string]string{"mon-fri": "09:00-12:00,13:00-17:00", "sat": "10:00-12:00"}}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, berlin) } // 23 Nov 2026 is a Monday
	tests := []struct {
		name      string
		now, want time.Time
	}{
		{"open now", at(23, 10, 0), at(23, 10, 0)},
		{"before opening", at(23, 7, 30), at(23, 9, 0)},
		{"lunch break", at(23, 12, 0), at(23, 13, 0)},
		{"evening: next morning", at(23, 17, 0), at(24, 9, 0)},
		{"friday evening: saturday", at(27, 18, 0), at(28, 10, 0)},
		{"saturday afternoon: monday", at(28, 12, 30), at(30, 9, 0)},
		{"sunday", at(29, 23, 59), at(30, 9, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bh.NextOpen(tt.now); !got.Equal(tt.want) {
				t.Errorf("NextOpen(%v) = %v, want %v", tt.now, got, tt.want)
			}
		})
	}
	never := BusinessHours{Week: map[string]string{"mon-sun": "closed"}}
	if got := never.NextOpen(at(23, 10, 0)); !got.IsZero() {
		t.Errorf("a week without windows: NextOpen = %v, want zero", got)
	}
}
