package customer

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/skyfly/skyfly/internal/platform/secrets"
)

// Secrets keys of data exports: files are encrypted at rest under
// KeyExportFile, download links are signed under KeyExportLink.
const (
	KeyExportFile = "customer-export-file"
	KeyExportLink = "customer-export-link"
)

// Export file states.
const (
	ExportPending    = "PENDING"
	ExportReady      = "READY"
	ExportDownloaded = "DOWNLOADED"
	ExportExpired    = "EXPIRED"
	ExportFailed     = "FAILED"
)

// Errors of data exports.
var (
	ErrExportNotReady = errors.New("customer: export is not ready yet")
	ErrExportGone     = errors.New("customer: export was downloaded already or has expired")
	ErrLinkExpired    = errors.New("customer: download link expired")
	ErrLinkInvalid    = errors.New("customer: download link signature invalid")
)

// ExportFile is one data export of a user: requested, then sealed
// (encrypted) when the export workflow has collected every domain, then
// downloaded once or expired; the ciphertext is dropped at either.
type ExportFile struct {
	ID           string
	UserID       string
	RequestedBy  string
	Status       string
	CreatedAt    time.Time
	ReadyAt      time.Time
	ExpiresAt    time.Time
	DownloadedAt time.Time
	KeyID        string
	Ciphertext   []byte
	Size         int
}

// EraseCounts reports what an erasure removed from the customer store.
type EraseCounts struct {
	Profiles      int64 `json:"profiles"`
	Verifications int64 `json:"verifications"`
	Notifications int64 `json:"notifications"`
	Exports       int64 `json:"exports"`
	BookingRefs   int64 `json:"bookingRefs"`
}

// PrivacyStore is what export and erasure need beyond Store.
type PrivacyStore interface {
	// PutExport inserts a requested export; an existing id is left alone.
	PutExport(ctx context.Context, f ExportFile) error
	// ExportFile returns an export or ErrNotFound.
	ExportFile(ctx context.Context, id string) (ExportFile, error)
	// SealExport stores the ciphertext of a PENDING export and marks it
	// READY; a sealed export is left alone (idempotent).
	SealExport(ctx context.Context, f ExportFile) error
	// TakeExport marks a READY export of userID DOWNLOADED, drops its
	// ciphertext and returns it as it was: once only (ErrExportGone after).
	TakeExport(ctx context.Context, id, userID string, at time.Time) (ExportFile, error)
	// ExpireExport drops the ciphertext of an export not downloaded yet and
	// marks it EXPIRED (or FAILED when it was never sealed).
	ExpireExport(ctx context.Context, id string, at time.Time) error
	// EraseUser deletes the user's profile, its travellers and
	// verifications and their exports, and redacts the recipient, subject
	// and data of every notification sent to them (the delivery record
	// stays: what was sent when, to nobody identifiable).
	EraseUser(ctx context.Context, userID string, at time.Time) (EraseCounts, error)
}

// CustomerExport is the customer section of a data export (G1).
type CustomerExport struct {
	Profile       *Profile       `json:"profile"`
	Verification  *Verification  `json:"phoneVerification,omitempty"`
	Notifications []Notification `json:"notifications"`
}

// Privacy is the customer domain's export and erasure.
type Privacy struct {
	store   Store
	privacy PrivacyStore
	secrets secrets.Provider
	now     func() time.Time
}

// NewPrivacy returns the export and erasure of the customer domain.
func NewPrivacy(store Store, privacy PrivacyStore, sp secrets.Provider, now func() time.Time) *Privacy {
	return &Privacy{store: store, privacy: privacy, secrets: sp, now: now}
}

// maxExportNotifications bounds the notifications in one export.
const maxExportNotifications = 10000

// Export collects the profile (with travellers, documents and preferences),
// the phone verification and every notification sent to the user.
func (p *Privacy) Export(ctx context.Context, userID string) (CustomerExport, error) {
	out := CustomerExport{Notifications: []Notification{}}
	prof, err := p.store.Profile(ctx, userID)
	switch {
	case err == nil:
		out.Profile = &prof
	case !errors.Is(err, ErrNotFound):
		return CustomerExport{}, fmt.Errorf("export customer %s: %w", userID, err)
	}
	v, err := p.store.Verification(ctx, userID)
	switch {
	case err == nil:
		v.CodeHash = nil // a hash of a one-time code is not the person's data
		out.Verification = &v
	case !errors.Is(err, ErrNotFound):
		return CustomerExport{}, fmt.Errorf("export customer %s: %w", userID, err)
	}
	ns, err := p.store.ListNotifications(ctx, NotificationFilter{UserID: userID, Limit: maxExportNotifications})
	if err != nil {
		return CustomerExport{}, fmt.Errorf("export customer %s: %w", userID, err)
	}
	out.Notifications = append(out.Notifications, ns...)
	return out, nil
}

// RequestExport records a PENDING export of userID requested by actor.
func (p *Privacy) RequestExport(ctx context.Context, id, userID, actor string) (ExportFile, error) {
	f := ExportFile{ID: id, UserID: userID, RequestedBy: actor, Status: ExportPending, CreatedAt: p.now().UTC()}
	if err := p.privacy.PutExport(ctx, f); err != nil {
		return ExportFile{}, fmt.Errorf("request export %s: %w", id, err)
	}
	return p.privacy.ExportFile(ctx, id)
}

// ExportStatus returns the export id of userID; ErrNotFound for another
// user's export as for an unknown one.
func (p *Privacy) ExportStatus(ctx context.Context, id, userID string) (ExportFile, error) {
	f, err := p.privacy.ExportFile(ctx, id)
	if err != nil {
		return ExportFile{}, fmt.Errorf("export %s: %w", id, err)
	}
	if f.UserID != userID {
		return ExportFile{}, fmt.Errorf("export %s: %w", id, ErrNotFound)
	}
	f.Ciphertext = nil
	return f, nil
}

// Seal encrypts the export document (AES-256-GCM under KeyExportFile, the
// export and user ids as additional data) and stores it until ttl passes.
func (p *Privacy) Seal(ctx context.Context, id, userID string, doc []byte, ttl time.Duration) (ExportFile, error) {
	key, err := p.secrets.Current(ctx, KeyExportFile)
	if err != nil {
		return ExportFile{}, fmt.Errorf("seal export %s: %w", id, err)
	}
	aead, err := newAEAD(key.Material)
	if err != nil {
		return ExportFile{}, fmt.Errorf("seal export %s: %w", id, err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(doc)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return ExportFile{}, fmt.Errorf("seal export %s: nonce: %w", id, err)
	}
	now := p.now().UTC()
	f := ExportFile{ID: id, UserID: userID, Status: ExportReady, ReadyAt: now, ExpiresAt: now.Add(ttl), KeyID: key.ID(),
		Ciphertext: aead.Seal(nonce, nonce, doc, exportAD(id, userID)), Size: len(doc)}
	if err := p.privacy.SealExport(ctx, f); err != nil {
		return ExportFile{}, fmt.Errorf("seal export %s: %w", id, err)
	}
	out, err := p.privacy.ExportFile(ctx, id)
	if err != nil {
		return ExportFile{}, fmt.Errorf("seal export %s: %w", id, err)
	}
	out.Ciphertext = nil
	return out, nil
}

// Download returns the export document of userID once: the first call
// takes it, later ones get ErrExportGone, as do calls after it expired.
func (p *Privacy) Download(ctx context.Context, id, userID string) ([]byte, error) {
	f, err := p.ExportStatus(ctx, id, userID)
	if err != nil {
		return nil, err
	}
	now := p.now().UTC()
	switch {
	case f.Status == ExportPending:
		return nil, fmt.Errorf("download export %s: %w", id, ErrExportNotReady)
	case f.Status != ExportReady || !now.Before(f.ExpiresAt):
		return nil, fmt.Errorf("download export %s: %w", id, ErrExportGone)
	}
	f, err = p.privacy.TakeExport(ctx, id, userID, now)
	if err != nil {
		return nil, fmt.Errorf("download export %s: %w", id, err)
	}
	name, version, err := secrets.ParseKeyID(f.KeyID)
	if err != nil {
		return nil, fmt.Errorf("download export %s: %w", id, err)
	}
	key, err := p.secrets.Version(ctx, name, version)
	if err != nil {
		return nil, fmt.Errorf("download export %s: key %s: %w", id, f.KeyID, err)
	}
	aead, err := newAEAD(key.Material)
	if err != nil {
		return nil, fmt.Errorf("download export %s: %w", id, err)
	}
	if len(f.Ciphertext) < aead.NonceSize() {
		return nil, fmt.Errorf("download export %s: ciphertext too short", id)
	}
	ns := aead.NonceSize()
	doc, err := aead.Open(nil, f.Ciphertext[:ns], f.Ciphertext[ns:], exportAD(id, userID))
	if err != nil {
		return nil, fmt.Errorf("download export %s: decrypt: %w", id, err)
	}
	return doc, nil
}

// Expire drops an export's file after its TTL.
func (p *Privacy) Expire(ctx context.Context, id string) error {
	if err := p.privacy.ExpireExport(ctx, id, p.now().UTC()); err != nil {
		return fmt.Errorf("expire export %s: %w", id, err)
	}
	return nil
}

// SignLink returns the signature of a download link of export id for
// userID valid until expires.
func (p *Privacy) SignLink(ctx context.Context, id, userID string, expires time.Time) (string, error) {
	key, err := p.secrets.Current(ctx, KeyExportLink)
	if err != nil {
		return "", fmt.Errorf("sign export link: %w", err)
	}
	return linkMAC(key.Material, id, userID, expires.Unix()), nil
}

// VerifyLink checks a download link's signature (any live key version, so
// links survive a rotation) and expiry.
func (p *Privacy) VerifyLink(ctx context.Context, id, userID string, expiresUnix int64, sig string) error {
	keys, err := p.secrets.Versions(ctx, KeyExportLink)
	if err != nil {
		return fmt.Errorf("verify export link: %w", err)
	}
	ok := false
	for _, k := range keys {
		if hmac.Equal([]byte(linkMAC(k.Material, id, userID, expiresUnix)), []byte(sig)) {
			ok = true
			break
		}
	}
	if !ok {
		return ErrLinkInvalid
	}
	if !p.now().Before(time.Unix(expiresUnix, 0)) {
		return ErrLinkExpired
	}
	return nil
}

// Erase deletes the customer domain's personal data of userID. A second
// erasure finds nothing and reports zero counts.
func (p *Privacy) Erase(ctx context.Context, userID string) (EraseCounts, error) {
	n, err := p.privacy.EraseUser(ctx, userID, p.now().UTC())
	if err != nil {
		return EraseCounts{}, fmt.Errorf("erase customer %s: %w", userID, err)
	}
	return n, nil
}

func linkMAC(key []byte, id, userID string, expires int64) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "\x00" + userID + "\x00" + strconv.FormatInt(expires, 10)))
	return hex.EncodeToString(m.Sum(nil))
}

func exportAD(id, userID string) []byte { return []byte("skyfly-export\x00" + id + "\x00" + userID) }

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("aes: %w", err)
	}
	return cipher.NewGCM(block)
}
