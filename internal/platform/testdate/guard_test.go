package testdate

import (
	"bufio"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// calendarMarker allows a date literal on its line: a test that truly needs
// a fixed calendar date (a date-line or DST case) fixes both its schedule and
// its clock, involves no real Temporal timer, and says so with this marker.
const calendarMarker = "calendar-case:"

// dateLiteral matches the dates that break a suite on a later day:
// ISO dates (YYYY-MM-DD), compact ones as in flight ids (YYYYMMDD) and
// time.Date calls with a literal year.
var dateLiteral = regexp.MustCompile(`20[2-9][0-9]-[01][0-9]-[0-3][0-9]|20[2-9][0-9][01][0-9][0-3][0-9]|time\.Date\(20[2-9][0-9]`)

// isTestCode reports whether path is test code: a _test.go file, or Go in a
// test-support package (sagatest, paymenttest, testenv, ...).
func isTestCode(path string) bool {
	if !strings.HasSuffix(path, ".go") {
		return false
	}
	dir := filepath.Base(filepath.Dir(path))
	return strings.HasSuffix(path, "_test.go") || strings.HasPrefix(dir, "test") || strings.HasSuffix(dir, "test")
}

// TestNoDateLiteralsInTests fails on a date literal in any test code of the
// module (see isTestCode) unless its line carries the calendar-case marker, so a test that
// passes today cannot start failing on a later day.
func TestNoDateLiteralsInTests(t *testing.T) {
	root := moduleRoot(t)
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", "node_modules", "bin", ".skyfly", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if !isTestCode(path) {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for n := 1; sc.Scan(); n++ {
			line := sc.Text()
			if dateLiteral.MatchString(line) && !strings.Contains(line, calendarMarker) {
				rel, _ := filepath.Rel(root, path)
				found = append(found, rel+":"+strconv.Itoa(n)+": "+strings.TrimSpace(line))
			}
		}
		return sc.Err()
	})
	require.NoError(t, err)
	require.Empty(t, found, "date literals in tests (compute them with testdate.Day, or mark a true calendar case with %q):\n%s",
		calendarMarker, strings.Join(found, "\n"))
}

func TestGuard_ScansTestCodeOnly(t *testing.T) {
	for path, want := range map[string]bool{
		"services/flight/service_test.go": true,
		"workflows/sagatest/world.go":     true,
		"internal/platform/testenv/x.go":  true,
		"services/flight/flight.go":       false,
		"workflows/testdata/history.json": false,
	} {
		if got := isTestCode(path); got != want {
			t.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
}

func TestGuard_MatchesEveryDateShape(t *testing.T) {
	day := Day(30) // the shapes are built from a date, not written as one
	for _, tc := range []struct {
		line string
		want bool
	}{
		{fmt.Sprintf("dep := time.Date(%d, 12, 1, 9, 30, 0, 0, time.UTC)", day.Year()), true},
		{`FlightIDs: []string{"SF102-` + Compact(day) + `"}`, true},
		{`ExpiryDate: "` + YearsFrom(day, 5) + `"`, true},
		{`dep := At(3, 9, 30)`, false},
		{fmt.Sprintf("n := %d + 1", day.Year()), false},
	} {
		if got := dateLiteral.MatchString(tc.line); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.line, got, tc.want)
		}
	}
}

func TestDay_CountsFromToday(t *testing.T) {
	t.Setenv(EnvShiftDays, "") // count from the unshifted day, whatever shift this run has
	today := Today()
	require.Equal(t, 0, today.Hour())
	require.Equal(t, time.UTC, today.Location())
	require.Equal(t, today.AddDate(0, 0, 3), Day(3))
	require.Equal(t, today.Add(27*time.Hour+30*time.Minute), At(1, 3, 30))
	require.Equal(t, ISO(today.AddDate(-6, 0, 0)), YearsFrom(today, -6))

	t.Setenv(EnvShiftDays, "365")
	require.Equal(t, today.AddDate(0, 0, 365), Today(), "the shift moves every date together")
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found")
		dir = parent
	}
}
