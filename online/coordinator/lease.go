package coordinator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"time"

	"airsign/online/store"
)

// WatcherLease is the name of the lease that lets one of the coordinator
// processes sharing a database run the chain watcher.
const WatcherLease = "chain-watcher"

// WatcherLeaseTTL is how long a watcher lease lasts unless renewed. Its
// holder renews it every third of that, so when the holder dies another
// process takes over within WatcherLeaseTTL plus one retry interval:
// 10 s + 3.3 s, inside the 15 s a deployment may be without a watcher.
const WatcherLeaseTTL = 10 * time.Second

// LeaseHolderID names this process in the leases table: the host and
// process id for the operator, and random bytes so that a restarted
// process with the same id is another holder.
func LeaseHolderID() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// WhileWatcher runs watch while this process holds the watcher lease,
// and returns when ctx ends. See RunLeased.
func (c *Coordinator) WhileWatcher(ctx context.Context, holder string, logf func(format string, args ...any), watch func(ctx context.Context)) {
	RunLeased(ctx, c.st, WatcherLease, holder, WatcherLeaseTTL, logf, watch)
}

// RunLeased runs job while holder holds the lease name, until ctx ends.
// It tries to take the lease every ttl/3; once it holds it, it starts job
// and renews the lease every ttl/3. When the lease is lost (another
// process took it) or cannot be renewed before it would run out (the
// database is unreachable), it cancels job's context, waits for job to
// return, and goes back to trying. When ctx ends it stops job and releases
// the lease so another process takes over at once.
//
// job must return soon after its context ends.
func RunLeased(ctx context.Context, st *store.Store, name, holder string, ttl time.Duration, logf func(format string, args ...any), job func(ctx context.Context)) {
	every := ttl / 3
	waitingFor := "" // the other holder last reported, to log changes only
	for ctx.Err() == nil {
		start := time.Now()
		l, err := st.AcquireLease(ctx, name, holder, ttl)
		switch {
		case err != nil && ctx.Err() == nil:
			logf("lease %s: %v; trying again in %s", name, err, every)
		case err == nil && !l.Held && l.Holder != waitingFor:
			logf("lease %s: held by %s; this process (%s) waits to take over", name, l.Holder, holder)
			waitingFor = l.Holder
		case err == nil && l.Held:
			logf("lease %s: taken by this process (%s), epoch %d", name, holder, l.Epoch)
			waitingFor = ""
			holdLease(ctx, st, name, holder, ttl, start.Add(ttl), logf, job)
		}
		sleepCtx(ctx, every)
	}
}

// holdLease runs job and renews the lease until it is lost or ctx ends.
// until is when the lease runs out by this machine's clock, counted from
// before the statement that took it, so it is never later than the
// database's reckoning.
func holdLease(ctx context.Context, st *store.Store, name, holder string, ttl time.Duration, until time.Time, logf func(format string, args ...any), job func(ctx context.Context)) {
	jobCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		job(jobCtx)
	}()
	defer func() {
		stop()
		<-done
	}()
	every := ttl / 3
	// Stop a little before the lease runs out, so the job has ended by
	// the time another process can take the lease.
	margin := ttl / 5
	for {
		wait := min(every, time.Until(until.Add(-margin)))
		select {
		case <-ctx.Done():
			stop()
			<-done
			release, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := st.ReleaseLease(release, name, holder); err != nil {
				logf("lease %s: release: %v (another process takes over when it runs out)", name, err)
			}
			return
		case <-done:
			logf("lease %s: the job ended by itself; giving the lease up", name)
			st.ReleaseLease(context.Background(), name, holder)
			return
		case <-time.After(wait):
		}
		if !time.Now().Before(until.Add(-margin)) {
			logf("lease %s: could not renew it before it runs out; stopping here, another process may take over", name)
			return
		}
		start := time.Now()
		l, err := st.AcquireLease(ctx, name, holder, ttl)
		switch {
		case err != nil:
			if ctx.Err() == nil {
				logf("lease %s: renew: %v; trying again", name, err)
			}
		case !l.Held:
			logf("lease %s: taken over by %s; stopping here", name, l.Holder)
			return
		default:
			until = start.Add(ttl)
		}
	}
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
