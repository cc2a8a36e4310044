//go:build race

package bundle_test

// raceEnabled shortens the byte-flip sweep: under the race detector one
// verification takes about a second.
const raceEnabled = true
