package codec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
	"google.golang.org/protobuf/proto"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// MetadataSubject is the metadata of a plaintext payload naming the data
// subject (the customer id) whose key must encrypt it. The subject
// converter sets it; Encode consumes it (the encrypted payload names the
// subject's key id instead) and removes it from the plaintext.
const MetadataSubject = "skyfly-data-subject"

// subjectKeyPrefix starts the secrets-provider name of a subject's data key.
const subjectKeyPrefix = "subject-"

// tombstoneSuffix ends the name of the key whose existence marks a subject
// as shredded.
const tombstoneSuffix = ".shredded"

// ErrShredded is returned by Decode for a payload of a data subject whose key
// was destroyed by Shred, and by Encode for a payload of such a subject: the
// codec never silently creates a fresh key under a shredded subject's name.
var ErrShredded = errors.New("codec: the data subject's key was shredded")

// DataSubject is implemented by workflow and activity payload types that
// carry one customer's personal data; DataSubject returns that customer's
// id. The data converter of NewDataConverter encrypts such a value under the
// subject's own key, so Shred makes every copy of it in every history
// unreadable. A type implements it without importing this package.
type DataSubject interface {
	DataSubject() string
}

// SubjectKeyName is the secrets-provider name of subject's data key.
func SubjectKeyName(subject string) string { return subjectKeyPrefix + subject }

func tombstoneName(subject string) string { return SubjectKeyName(subject) + tombstoneSuffix }

// subjectOfKey returns the subject whose data key name is, or "".
func subjectOfKey(name string) string {
	s, ok := strings.CutPrefix(name, subjectKeyPrefix)
	if !ok || validSubject(s) != nil {
		return ""
	}
	return s
}

// validSubject accepts ids usable in a key name. '.' is refused so no subject
// key ("subject-x.shredded") is another subject's tombstone.
func validSubject(s string) error {
	if s == "" || len(s) > 128 {
		return fmt.Errorf("codec: data subject %q: want 1 to 128 characters", s)
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return fmt.Errorf("codec: data subject %q: only letters, digits, '-' and '_' are allowed", s)
		}
	}
	return nil
}

type subjectCtxKey struct{}

// WithSubject returns a context whose Temporal client calls (start, signal,
// update) encrypt their arguments under subject's key. It is for arguments
// whose type cannot name its subject (the reserve update's passengers and
// contact travel without the customer id); a value implementing DataSubject
// names its own subject, which wins.
func WithSubject(ctx context.Context, subject string) context.Context {
	return context.WithValue(ctx, subjectCtxKey{}, subject)
}

// SubjectFromContext returns the subject set by WithSubject, or "".
func SubjectFromContext(ctx context.Context) string {
	s, _ := ctx.Value(subjectCtxKey{}).(string)
	return s
}

// subjectDataConverter is the data converter of NewDataConverter: the codec
// over a payload converter that tags each payload with its value's data
// subject. It is context aware, so a client call's context can name the
// subject of untyped arguments (WithSubject).
type subjectDataConverter struct {
	converter.DataConverter // the codec over the tagger
	parent                  converter.DataConverter
	codec                   converter.PayloadCodec
}

func newSubjectDataConverter(parent converter.DataConverter, codec converter.PayloadCodec, fallback string) *subjectDataConverter {
	return &subjectDataConverter{
		DataConverter: converter.NewCodecDataConverter(subjectTagger{DataConverter: parent, fallback: fallback}, codec),
		parent:        parent,
		codec:         codec,
	}
}

// WithContext implements the SDK's ContextAware for client calls.
func (d *subjectDataConverter) WithContext(ctx context.Context) converter.DataConverter {
	if s := SubjectFromContext(ctx); s != "" {
		return newSubjectDataConverter(d.parent, d.codec, s)
	}
	return d
}

// WithWorkflowContext implements the SDK's ContextAware: workflow code names
// subjects by payload type only.
func (d *subjectDataConverter) WithWorkflowContext(workflow.Context) converter.DataConverter {
	return d
}

// subjectTagger sets MetadataSubject on the payload of every value that
// names its data subject (or, failing that, on every payload when fallback
// is set).
type subjectTagger struct {
	converter.DataConverter
	fallback string
}

func (t subjectTagger) ToPayload(value any) (*commonpb.Payload, error) {
	p, err := t.DataConverter.ToPayload(value)
	if err != nil || p == nil {
		return p, err
	}
	subject := t.fallback
	if ds, ok := value.(DataSubject); ok && ds.DataSubject() != "" {
		subject = ds.DataSubject()
	}
	if subject == "" {
		return p, nil
	}
	if err := validSubject(subject); err != nil {
		return nil, fmt.Errorf("codec: %T: %w", value, err)
	}
	if p.Metadata == nil {
		p.Metadata = map[string][]byte{}
	}
	p.Metadata[MetadataSubject] = []byte(subject)
	return p, nil
}

func (t subjectTagger) ToPayloads(values ...any) (*commonpb.Payloads, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := &commonpb.Payloads{Payloads: make([]*commonpb.Payload, len(values))}
	for i, v := range values {
		p, err := t.ToPayload(v)
		if err != nil {
			return nil, fmt.Errorf("values[%d]: %w", i, err)
		}
		out.Payloads[i] = p
	}
	return out, nil
}

// untagged returns p without MetadataSubject (a copy when it had one), so
// the plaintext under the subject key is what the default converter wrote.
func untagged(p *commonpb.Payload) (*commonpb.Payload, string) {
	subject := string(p.GetMetadata()[MetadataSubject])
	if subject == "" {
		return p, ""
	}
	cp := proto.Clone(p).(*commonpb.Payload)
	delete(cp.Metadata, MetadataSubject)
	return cp, subject
}

// Shred destroys subject's data key (crypto-shredding, ACCEPTANCE G2): every
// payload encrypted under it, in every history, no longer decodes (Decode
// returns ErrShredded), while other subjects' and shared-key payloads still
// do. It first writes a tombstone (a key named "subject-<id>.shredded" whose
// existence is the mark), so a later Encode for the subject fails with
// ErrShredded instead of creating a new key that would make new data
// readable under the old name. This process forgets the key at once; other
// processes' caches keep it for at most their cache TTL (WithCacheTTL).
// Shredding twice is not an error.
func (c *Codec) Shred(ctx context.Context, subject string) error {
	if err := validSubject(subject); err != nil {
		return err
	}
	if _, err := c.provider.Current(ctx, tombstoneName(subject)); err != nil {
		return fmt.Errorf("codec: shred %s: tombstone: %w", subject, err)
	}
	name := SubjectKeyName(subject)
	if err := c.provider.Destroy(ctx, name); err != nil {
		return fmt.Errorf("codec: shred %s: destroy key: %w", subject, err)
	}
	now := c.now()
	c.mu.Lock()
	c.subjects[subject] = cached{shredded: true, expires: now.Add(c.cacheTTL)}
	for id := range c.byID {
		if n, _, err := ParseKeyID(id); err == nil && n == name {
			delete(c.byID, id)
		}
	}
	c.mu.Unlock()
	return nil
}

// shredded reports whether subject has a tombstone.
func (c *Codec) shredded(ctx context.Context, subject string) (bool, error) {
	_, err := c.provider.Versions(ctx, tombstoneName(subject))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, secrets.ErrNotFound):
		return false, nil
	default:
		return false, fmt.Errorf("codec: tombstone of %s: %w", subject, err)
	}
}

// subjectKey returns the current version of subject's data key, creating it
// on first use, or ErrShredded. The tombstone is checked before and after
// the key is fetched: a Shred racing with this call either is seen, or ran
// its Destroy after the fetch, so the key returned is destroyed with it.
func (c *Codec) subjectKey(subject string) (cached, error) {
	if err := validSubject(subject); err != nil {
		return cached{}, err
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.subjects[subject]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		if e.shredded {
			return cached{}, fmt.Errorf("codec: encode for %s: %w", subject, ErrShredded)
		}
		return e, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	refuse := func() (cached, error) {
		c.remember(subject, cached{shredded: true, expires: now.Add(c.cacheTTL)}, now)
		return cached{}, fmt.Errorf("codec: encode for %s: %w", subject, ErrShredded)
	}
	if gone, err := c.shredded(ctx, subject); err != nil || gone {
		if err != nil {
			return cached{}, err
		}
		return refuse()
	}
	name := SubjectKeyName(subject)
	k, err := c.provider.Current(ctx, name)
	if err != nil {
		return cached{}, fmt.Errorf("codec: current key %s: %w", name, err)
	}
	if gone, err := c.shredded(ctx, subject); err != nil || gone {
		if err != nil {
			return cached{}, err
		}
		// Shredded meanwhile: the key just fetched may be one Current
		// recreated after the Destroy; destroy it again.
		if err := c.provider.Destroy(ctx, name); err != nil {
			return cached{}, fmt.Errorf("codec: re-destroy %s: %w", name, err)
		}
		return refuse()
	}
	e, err = newCached(k, now.Add(c.cacheTTL))
	if err != nil {
		return cached{}, err
	}
	c.remember(subject, e, now)
	return e, nil
}

// remember caches a subject's key (or its shredded mark) and its key id,
// dropping expired entries so the caches hold only recent subjects.
func (c *Codec) remember(subject string, e cached, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for s, old := range c.subjects {
		if !now.Before(old.expires) {
			delete(c.subjects, s)
		}
	}
	c.subjects[subject] = e
	if !e.shredded {
		c.byID[e.id] = e
	}
}
