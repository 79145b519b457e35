// Package eventbus connects SkyFly to Kafka with franz-go: a Publisher the
// outbox relays publish through (idempotent producer, all-ISR acks, keyed by
// aggregate id), a Consumer whose offsets are committed only after the
// handler stored its effect, and an embedded in-process cluster (franz-go's
// kfake, speaking the Kafka wire protocol) for `skyfly dev` and tests.
package eventbus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/skyfly/skyfly/internal/platform/outbox"
)

// Header names on every record.
const (
	HeaderEventID   = "skyfly-event-id"
	HeaderEventType = "skyfly-event-type"
)

// Domains are the domains whose topics exist on the bus (skyfly.<domain>.v1).
func Domains() []string { return []string{"auth", "flight", "booking", "customer", "payment"} }

// Partitions of each topic on the embedded cluster.
const Partitions = 4

// ParseBrokers splits a comma-separated SKYFLY_KAFKA_BROKERS value.
func ParseBrokers(s string) []string {
	var out []string
	for _, b := range strings.Split(s, ",") {
		if b = strings.TrimSpace(b); b != "" {
			out = append(out, b)
		}
	}
	return out
}

// Embedded is an in-process Kafka cluster.
type Embedded struct {
	cluster *kfake.Cluster
}

// EmbeddedConfig configures StartEmbedded.
type EmbeddedConfig struct {
	// Addr is host:port to listen on; port 0 picks a free one.
	Addr string
	// DataDir keeps the log across restarts when set.
	DataDir string
}

// StartEmbedded starts a one-broker kfake cluster with every SkyFly topic.
func StartEmbedded(cfg EmbeddedConfig) (*Embedded, error) {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	host, portS, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("eventbus: embedded address %q: %w", cfg.Addr, err)
	}
	port, err := strconv.Atoi(portS)
	if err != nil {
		return nil, fmt.Errorf("eventbus: embedded port %q: %w", portS, err)
	}
	domains := Domains()
	topics := make([]string, len(domains))
	for i, d := range domains {
		topics[i] = outbox.Topic(d)
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(1), kfake.Ports(port), kfake.SeedTopics(Partitions, topics...), kfake.AllowAutoTopicCreation(),
		kfake.ListenFn(func(network, _ string) (net.Listener, error) {
			return net.Listen(network, net.JoinHostPort(host, strconv.Itoa(port)))
		}),
	}
	if cfg.DataDir != "" {
		opts = append(opts, kfake.DataDir(cfg.DataDir), kfake.SyncWrites())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("eventbus: embedded cluster: %w", err)
	}
	return &Embedded{cluster: c}, nil
}

// Brokers returns the addresses clients dial.
func (e *Embedded) Brokers() []string { return e.cluster.ListenAddrs() }

// Cluster is the underlying fake cluster (tests inject faults through it).
func (e *Embedded) Cluster() *kfake.Cluster { return e.cluster }

// Stop closes the cluster.
func (e *Embedded) Stop() { e.cluster.Close() }

// Publisher publishes outbox messages to Kafka.
type Publisher struct {
	client *kgo.Client
}

// NewPublisher connects a producer to brokers.
func NewPublisher(brokers []string, clientID string) (*Publisher, error) {
	c, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...), kgo.ClientID(clientID),
		kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(0),
		kgo.AllowAutoTopicCreation(), kgo.RecordRetries(5),
	)
	if err != nil {
		return nil, fmt.Errorf("eventbus: producer: %w", err)
	}
	return &Publisher{client: c}, nil
}

// Publish sends msgs in order and waits for every acknowledgement.
func (p *Publisher) Publish(ctx context.Context, msgs []outbox.Message) error {
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		recs[i] = &kgo.Record{Topic: m.Topic, Key: []byte(m.Key), Value: m.Value, Headers: []kgo.RecordHeader{
			{Key: HeaderEventID, Value: []byte(m.EventID)}, {Key: HeaderEventType, Value: []byte(m.Type)},
		}}
	}
	if err := p.client.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("eventbus: produce: %w", err)
	}
	return nil
}

// Ping checks that a broker answers.
func (p *Publisher) Ping(ctx context.Context) error { return p.client.Ping(ctx) }

// Close flushes nothing (Publish is synchronous) and disconnects.
func (p *Publisher) Close() { p.client.Close() }

// Delivery is one consumed record.
type Delivery struct {
	Topic     string
	Partition int32
	Offset    int64
	Key       string
	EventID   string
	Type      string
	Value     []byte // the JSON outbox.Event
}

// Event decodes the delivery's envelope.
func (d Delivery) Event() (outbox.Event, error) {
	return outbox.Record{Payload: d.Value}.Event()
}

// Handler stores the effect of one delivery. It must be idempotent by event
// id: after a crash the same delivery comes again. An error retries the same
// record with backoff; nothing after it is applied or committed first.
type Handler func(ctx context.Context, d Delivery) error

// ConsumerConfig configures a Consumer.
type ConsumerConfig struct {
	Log     *slog.Logger
	Brokers []string
	Group   string
	Topics  []string
	Handler Handler
	// MaxBackoff bounds the wait between retries of a failing record (5 s).
	MaxBackoff time.Duration
}

// Consumer is a consumer-group member that commits offsets only after its
// handler returned for every record up to them.
type Consumer struct {
	cfg    ConsumerConfig
	client *kgo.Client

	// crashBeforeCommit, set by tests, makes Run stop like a killed process
	// after applying a batch and before committing it.
	crashBeforeCommit func(applied int) bool
}

// errCrashed is what Run returns after a simulated crash.
var errCrashed = errors.New("eventbus: consumer crashed before commit")

// NewConsumer joins cfg.Group on cfg.Topics.
func NewConsumer(cfg ConsumerConfig) (*Consumer, error) {
	if cfg.Handler == nil || cfg.Group == "" || len(cfg.Topics) == 0 {
		return nil, errors.New("eventbus: consumer needs a group, topics and a handler")
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = 5 * time.Second
	}
	c, err := kgo.NewClient(
		kgo.SeedBrokers(cfg.Brokers...), kgo.ConsumerGroup(cfg.Group), kgo.ConsumeTopics(cfg.Topics...),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)
	if err != nil {
		return nil, fmt.Errorf("eventbus: consumer %s: %w", cfg.Group, err)
	}
	return &Consumer{cfg: cfg, client: c}, nil
}

// Run consumes until ctx ends.
func (c *Consumer) Run(ctx context.Context) error {
	defer func() {
		c.client.AllowRebalance() // leaving the group needs a rebalance
		c.client.Close()
	}()
	for {
		fetches := c.client.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		fetches.EachError(func(topic string, p int32, err error) {
			c.cfg.Log.Warn("eventbus: fetch", "group", c.cfg.Group, "topic", topic, "partition", p, "err", err)
		})
		var done []*kgo.Record
		var stop bool
		fetches.EachRecord(func(r *kgo.Record) {
			if stop {
				return
			}
			if err := c.apply(ctx, r); err != nil {
				stop = true // ctx ended mid-retry: commit what was applied
				return
			}
			done = append(done, r)
		})
		if c.crashBeforeCommit != nil && c.crashBeforeCommit(len(done)) {
			return errCrashed
		}
		if len(done) > 0 {
			if err := c.client.CommitRecords(context.WithoutCancel(ctx), done...); err != nil {
				// Uncommitted records come again: the handler is idempotent.
				c.cfg.Log.Warn("eventbus: commit", "group", c.cfg.Group, "err", err)
			}
		}
		c.client.AllowRebalance()
		if stop {
			return nil
		}
	}
}

// apply runs the handler on r until it succeeds or ctx ends.
func (c *Consumer) apply(ctx context.Context, r *kgo.Record) error {
	d := Delivery{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: string(r.Key), Value: r.Value}
	for _, h := range r.Headers {
		switch h.Key {
		case HeaderEventID:
			d.EventID = string(h.Value)
		case HeaderEventType:
			d.Type = string(h.Value)
		}
	}
	backoff := 50 * time.Millisecond
	for {
		err := c.cfg.Handler(ctx, d)
		if err == nil {
			return nil
		}
		c.cfg.Log.Warn("eventbus: handler failed, retrying", "group", c.cfg.Group, "event_id", d.EventID, "type", d.Type, "err", err)
		wait := backoff/2 + rand.N(backoff/2+1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}
