package queue

import "testing"

func TestLastTry(t *testing.T) {
	tests := []struct {
		name   string
		n, max int
		want   bool
	}{
		{name: "first of eight", n: 1, max: 8, want: false},
		{name: "seventh of eight", n: 7, max: 8, want: false},
		{name: "eighth of eight", n: 8, max: 8, want: true},
		{name: "beyond the maximum", n: 9, max: 2, want: true},
		{name: "only delivery", n: 1, max: 1, want: true},
		{name: "unlimited", n: 100, max: -1, want: false},
		{name: "unset maximum", n: 100, max: 0, want: false},
		{name: "unknown count", n: 0, max: 8, want: true},
		{name: "unknown count, unlimited", n: 0, max: -1, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := lastTry(tt.n, tt.max); got != tt.want {
				t.Errorf("lastTry(%d, %d) = %v, want %v", tt.n, tt.max, got, tt.want)
			}
			d := &Delivery{NumDelivered: tt.n, MaxDeliver: tt.max}
			if got := d.LastTry(); got != tt.want {
				t.Errorf("LastTry() = %v, want %v", got, tt.want)
			}
		})
	}
}
