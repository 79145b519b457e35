package gateway

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestDomainGate_ShrinksWhenSlowOrFailingAndGrowsBack(t *testing.T) {
	now := time.Unix(0, 0)
	g := newDomainGate(EdgeConfig{Concurrency: 64}.withDefaults(), func() time.Time { return now })
	require.Equal(t, 64, g.Limit())
	step := func(took time.Duration, failed bool) {
		require.True(t, g.acquire())
		now = now.Add(1100 * time.Millisecond)
		g.release(took, failed)
	}
	for range 30 {
		step(30*time.Second, false) // the service slowed down
	}
	require.Equal(t, 16, g.Limit(), "halved down to the floor while slow")
	for range 200 {
		step(10*time.Millisecond, false)
	}
	require.Equal(t, 64, g.Limit(), "grows back one per healthy answer")
	for range 30 {
		step(10*time.Millisecond, true) // fast but failing
	}
	require.Less(t, g.Limit(), 64, "a 5xx storm shrinks it too")
}
