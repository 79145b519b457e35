package flight

import "sync/atomic"

// cabinIndex is a cabin's slot in a seatRow (F, J, W, Y); -1 when unknown.
func cabinIndex(c Cabin) int {
	switch c {
	case CabinFirst:
		return 0
	case CabinBusiness:
		return 1
	case CabinPremium:
		return 2
	case CabinEconomy:
		return 3
	}
	return -1
}

// noCabin marks a cabin the flight has no counter for.
const noCabin = -1

// seatRow is one flight's seats available per cabin (noCabin when the
// flight has no such counter) and the sequence number of the read it came
// from. Readers load the counters without a lock (a search may see one
// cabin updated before another, which is harmless: searches only show
// seats, quotes and holds read the database); writers hold the service's
// seatMu so that an older read never overwrites a newer one.
type seatRow struct {
	avail [numCabins]atomic.Int32
	seq   atomic.Uint64
}

// seatBook holds the seat counters of every flight of a network, indexed
// like the network's flights, so that a search reads counters from memory
// instead of the database. The service keeps it coherent: it is filled on
// Reload, updated after every inventory change made through the service
// and from the store's feed of changed flights for changes made by other
// processes (see Service.refreshChangedSeats).
type seatBook struct {
	rows []seatRow
}

func newSeatBook(n int) *seatBook {
	b := &seatBook{rows: make([]seatRow, n)}
	for i := range b.rows {
		for c := range b.rows[i].avail {
			b.rows[i].avail[c].Store(noCabin)
		}
	}
	return b
}

// set stores the counters of row i read at seq unless a later read was
// stored already; it reports whether a counter changed. The caller holds
// seatMu (or owns a book not yet shared).
func (b *seatBook) set(i int32, seq uint64, cabins []CabinAvailability) bool {
	r := &b.rows[i]
	if r.seq.Load() > seq {
		return false
	}
	var next [4]int32
	for c := range next {
		next[c] = noCabin
	}
	for _, ca := range cabins {
		if c := cabinIndex(ca.Cabin); c >= 0 {
			next[c] = int32(ca.Available)
		}
	}
	changed := false
	for c := range next {
		if r.avail[c].Swap(next[c]) != next[c] {
			changed = true
		}
	}
	r.seq.Store(seq)
	return changed
}

// copyNewer copies into b the rows of old read after seq (changes made
// while b was being loaded); ord maps an old row to b's row or -1. The
// caller holds seatMu.
func (b *seatBook) copyNewer(old *seatBook, seq uint64, ord func(int) int32) {
	for i := range old.rows {
		r := &old.rows[i]
		s := r.seq.Load()
		if s <= seq {
			continue
		}
		j := ord(i)
		if j < 0 || b.rows[j].seq.Load() > s {
			continue
		}
		for c := range r.avail {
			b.rows[j].avail[c].Store(r.avail[c].Load())
		}
		b.rows[j].seq.Store(s)
	}
}

// available returns the seats available in cabin c of row i and whether
// the flight has a counter for c.
func (b *seatBook) available(i int32, c Cabin) (int, bool) {
	ci := cabinIndex(c)
	if ci < 0 {
		return 0, false
	}
	v := b.rows[i].avail[ci].Load()
	return int(v), v != noCabin
}

// load fills a new book (not yet shared) from counters read at seq.
func (b *seatBook) load(ord map[string]int32, seq uint64, counters []SeatCounter) {
	for _, c := range counters {
		i, ok := ord[c.FlightID]
		ci := cabinIndex(c.Cabin)
		if !ok || ci < 0 {
			continue
		}
		b.rows[i].avail[ci].Store(int32(c.Available))
		b.rows[i].seq.Store(seq)
	}
}
