package main

import "testing"

func TestMemoryLimit(t *testing.T) {
	for _, tt := range []struct {
		live uint64
		want int64
	}{
		{0, memoryFloor},
		{50 << 20, memoryFloor},               // a small hub: the pace (gcPercent) decides
		{100 << 20, 150<<20 + memoryHeadroom}, // half again what it holds
		{400 << 20, 600<<20 + memoryHeadroom}, // never a limit the live heap cannot meet
	} {
		if got := memoryLimit(tt.live); got != tt.want {
			t.Errorf("memoryLimit(%d MB) = %d MB, want %d MB", tt.live>>20, got>>20, tt.want>>20)
		}
	}
}
