// Package testdate gives tests calendar dates computed from the clock they
// run under, so a suite written today passes on any later day. A test builds
// its schedule, its fixed clock and its fixture flight ids from Day instead
// of writing a date literal; the guard test in this package refuses new
// literals outside the calendar cases that truly need one.
package testdate

import (
	"os"
	"strconv"
	"time"
)

// EnvShiftDays shifts every date this package gives by that many days
// (negative allowed), so a run can prove a suite does not depend on the day
// it was written: SKYFLY_TEST_SHIFT_DAYS=365 go test ./... runs it as if a
// year had passed, with schedules and clocks moved together.
const EnvShiftDays = "SKYFLY_TEST_SHIFT_DAYS"

// started is when the test process started: every date of one run counts
// from its day, so a run that crosses midnight agrees with itself.
var started = time.Now().UTC()

// Today is the UTC midnight of the day the test process started, moved by
// EnvShiftDays.
func Today() time.Time {
	now := started
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	if n, err := strconv.Atoi(os.Getenv(EnvShiftDays)); err == nil {
		d = d.AddDate(0, 0, n)
	}
	return d
}

// Day is the UTC midnight offset days after Today.
func Day(offset int) time.Time { return Today().AddDate(0, 0, offset) }

// At is Day(offset) at the given UTC hour and minute.
func At(offset, hour, minute int) time.Time {
	return Day(offset).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
}

// YearsFrom is t moved by years (negative for the past) as an ISO date,
// for birth dates and document expiries: YearsFrom(Today(), 5).
func YearsFrom(t time.Time, years int) string { return ISO(t.AddDate(years, 0, 0)) }

// ISO formats t as the YYYY-MM-DD the API uses for dates.
func ISO(t time.Time) string { return t.Format(time.DateOnly) }

// Compact formats t as the YYYYMMDD in flight ids (SF100-YYYYMMDD).
func Compact(t time.Time) string { return t.Format("20060102") }

// Winter is the UTC midnight of December day in the year after Today: always
// ahead of the clock and always in northern winter (New York on EST, London
// on GMT), for fixed-clock tests whose assertions print local times. It
// involves no real timer, so its clock must be fixed too (Winter(1) at noon).
func Winter(day int) time.Time {
	return time.Date(Today().Year()+1, time.December, day, 0, 0, 0, 0, time.UTC)
}
