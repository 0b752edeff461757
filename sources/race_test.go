//go:build race

package sources

// raceSlowdown stretches time bounds under the race detector, which runs
// this code several times slower.
const raceSlowdown = 8
