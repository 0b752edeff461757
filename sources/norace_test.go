//go:build !race

package sources

// raceSlowdown stretches time bounds under the race detector; see race_test.go.
const raceSlowdown = 1
