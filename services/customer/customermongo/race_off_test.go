//go:build !race

package customermongo_test

const raceEnabled = false
