package seeddata

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"time"
)

// popularPairs are origin-destination pairs a load test searches: direct
// hub routes, spoke-to-hub, and pairs that only connect.
func popularPairs() [][2]string {
	return [][2]string{
		{"JFK", "LHR"}, {"LHR", "JFK"}, {"FRA", "SIN"}, {"DXB", "LHR"}, {"SIN", "SYD"},
		{"BOS", "LHR"}, {"CDG", "JFK"}, {"MUC", "FRA"}, {"DEL", "DXB"}, {"HND", "SIN"},
		{"BOS", "DEL"}, {"MUC", "SYD"}, {"LAX", "FRA"}, {"MAD", "BKK"}, {"ORD", "JNB"},
		{"EDI", "JFK"}, {"AMS", "HKG"}, {"YYZ", "DXB"}, {"CPH", "LIS"}, {"SEA", "MEL"},
	}
}

// SearchQueries returns n deterministic search query strings (for GET
// /api/v1/flights/search) over popular pairs and the 30 days after start,
// with mixed passengers and sorts: the search mix of `skyfly bench`
// (ACCEPTANCE PF1). The same seed gives the same mix.
func SearchQueries(start time.Time, n int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	pairs := popularPairs()
	sorts := []string{"price", "departure", "duration"}
	out := make([]string, n)
	for i := range out {
		p := pairs[r.IntN(len(pairs))]
		v := url.Values{}
		v.Set("origin", p[0])
		v.Set("destination", p[1])
		v.Set("date", start.AddDate(0, 0, 1+r.IntN(30)).Format(time.DateOnly))
		v.Set("adults", fmt.Sprint(1+r.IntN(2)))
		if r.IntN(4) == 0 {
			v.Set("children", "1")
		}
		v.Set("sort", sorts[r.IntN(len(sorts))])
		out[i] = v.Encode()
	}
	return out
}
