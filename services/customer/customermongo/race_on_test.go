//go:build race

package customermongo_test

// raceEnabled: the race detector slows FerretDB's SQLite writes tenfold,
// so the volume tests run a smaller load under it.
const raceEnabled = true
