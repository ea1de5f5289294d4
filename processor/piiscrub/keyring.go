package piiscrub // import "github.com/otelcol-warden/otelcol-warden/processor/piiscrub"

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap"
) // Key material: a static key, HKDF day keys from a master key, or a keyset file with one key per day; loaded
// at start-up and reloaded when the file changes.
// keySet is one loaded generation of key material; reloading swaps the whole set.
type keySet struct {
	rotation Rotation
	static   *dayKey             // rotation none
	master   configopaque.String // rotation daily: HKDF master; never logged
	baseID   string              // key id prefix for daily keys
	keyset   map[int64]*dayKey   // keyset file: one key per day
	mu       sync.Mutex          // guards derived
	derived  map[int64]*dayKey   // bounded cache of HKDF day keys
}

const maxDerivedKeys = 64

// forDay returns the key of UTC day d, or nil if there is none (keyset without that day).
func (ks *keySet) forDay(d int64) *dayKey {
	switch {
	case ks.keyset != nil:
		return ks.keyset[d]
	case ks.rotation == RotationDaily:
		ks.mu.Lock()
		defer ks.mu.Unlock()
		if dk, ok := ks.derived[d]; ok {
			return dk
		}
		day := time.Unix(d*86400, 0).UTC().Format("20060102")
		k, err := hkdf.Key(sha256.New, []byte(ks.master), nil, tokenDomain+"/day/"+day, 32)
		if err != nil {
			return nil
		}
		if len(ks.derived) >= maxDerivedKeys {
			clear(ks.derived)
		}
		dk := newDayKey(ks.baseID+"_"+day, k)
		ks.derived[d] = dk
		return dk
	default:
		return ks.static
	}
}

// keyring loads the configured key material and reloads it when the file changes.
type keyring struct {
	cfg    KeyConfig
	logger *zap.Logger
	cur    atomic.Pointer[keySet]

	path    string
	modTime time.Time
	size    int64

	onReloadError func()
	stop          chan struct{}
	done          chan struct{}
	startOnce     sync.Once
	stopOnce      sync.Once
}

func newKeyring(cfg KeyConfig, logger *zap.Logger) (*keyring, error) {
	kr := &keyring{cfg: cfg, logger: logger}
	kr.path = cfg.File
	if cfg.KeysetFile != "" {
		kr.path = cfg.KeysetFile
	}
	ks, err := kr.load()
	if err != nil {
		return nil, err
	}
	kr.cur.Store(ks)
	if kr.path != "" {
		if fi, err := os.Stat(kr.path); err == nil {
			kr.modTime, kr.size = fi.ModTime(), fi.Size()
		}
	}
	return kr, nil
}

func (kr *keyring) current() *keySet { return kr.cur.Load() }

// load reads the key material. Error messages name the source, never the content.
func (kr *keyring) load() (*keySet, error) {
	cfg := kr.cfg
	if cfg.KeysetFile != "" {
		return loadKeyset(cfg.KeysetFile)
	}
	var raw []byte
	var src string
	switch {
	case cfg.File != "":
		src = fmt.Sprintf("key.file %q", cfg.File)
		b, err := os.ReadFile(cfg.File)
		if err != nil {
			return nil, fmt.Errorf("pii_scrub: %s: %w", src, unwrapPathError(err))
		}
		raw = b
	case cfg.Env != "":
		src = fmt.Sprintf("key.env %s", cfg.Env)
		v, ok := os.LookupEnv(cfg.Env)
		if !ok || v == "" {
			return nil, fmt.Errorf("pii_scrub: %s: environment variable %s is not set or empty", src, cfg.Env)
		}
		raw = []byte(v)
	default:
		return nil, errors.New("pii_scrub: no key source configured")
	}
	key, err := decodeKey(raw)
	if err != nil {
		return nil, fmt.Errorf("pii_scrub: %s: %w", src, err)
	}
	id := cfg.ID
	if id == "" {
		id = deriveKeyID(key)
	}
	ks := &keySet{rotation: cfg.Rotation}
	if cfg.Rotation == RotationDaily {
		ks.master = configopaque.String(key)
		ks.baseID = id
		ks.derived = make(map[int64]*dayKey)
	} else {
		ks.rotation = RotationNone
		ks.static = newDayKey(id, key)
	}
	return ks, nil
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// decodeKey accepts hex or base64 (standard or URL alphabet, padded or not) text; surrounding whitespace is
// ignored. The decoded key must have at least 32 bytes.
func decodeKey(raw []byte) ([]byte, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 {
		return nil, errors.New("the key is empty")
	}
	var key []byte
	if k, err := hex.DecodeString(string(t)); err == nil {
		key = k
	} else {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			if k, err := enc.DecodeString(string(t)); err == nil {
				key = k
				break
			}
		}
	}
	if key == nil {
		return nil, errors.New("the key is neither hex nor base64 text")
	}
	if len(key) < minKeyBytes {
		return nil, fmt.Errorf("the key is too short: %d bytes after decoding, need at least %d", len(key), minKeyBytes)
	}
	return key, nil
}

// deriveKeyID names a key without revealing it: 6 base32 characters of HMAC(key, "pii_scrub/v1/key-id").
func deriveKeyID(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(tokenDomain + "/key-id"))
	return "k" + tokenEncoding.EncodeToString(m.Sum(nil))[:6]
}

// keysetFile is the JSON keyset: {"keys": [{"day": "2026-03-01", "key": "<hex or base64>", "id": "optional"}]}.
type keysetFile struct {
	Keys []struct {
		ID  string `json:"id"`
		Day string `json:"day"`
		Key string `json:"key"`
	} `json:"keys"`
}

func loadKeyset(path string) (*keySet, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: %w", path, unwrapPathError(err))
	}
	var f keysetFile
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		// The JSON error may quote content; report only where it failed.
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: invalid JSON at byte %d", path, se.Offset)
		}
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: invalid JSON (truncated)", path)
		}
		return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: not a keyset ({\"keys\": [{\"day\", \"key\", \"id\"}]})", path)
	}
	ks := &keySet{rotation: RotationDaily, keyset: make(map[int64]*dayKey, len(f.Keys))}
	for i, e := range f.Keys {
		t, err := time.Parse("2006-01-02", e.Day)
		if err != nil {
			return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: keys[%d].day: want YYYY-MM-DD", path, i)
		}
		key, err := decodeKey([]byte(e.Key))
		if err != nil {
			return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: keys[%d] (day %s): %w", path, i, e.Day, err)
		}
		id := e.ID
		if id == "" {
			id = "d" + t.Format("20060102")
		}
		if !keyIDRe.MatchString(id) {
			return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: keys[%d].id must match [A-Za-z0-9_]{1,16}", path, i)
		}
		d := t.Unix() / 86400
		if _, dup := ks.keyset[d]; dup {
			return nil, fmt.Errorf("pii_scrub: key.keyset_file %q: day %s appears twice", path, e.Day)
		}
		ks.keyset[d] = newDayKey(id, key)
	}
	return ks, nil
}

// start polls the key file for changes every ReloadInterval (a mounted Kubernetes Secret changes by symlink
// swap, which a poll sees and a watch on the file may not).
func (kr *keyring) start() {
	if kr.path == "" || kr.cfg.ReloadInterval <= 0 {
		return
	}
	kr.startOnce.Do(func() {
		kr.stop = make(chan struct{})
		kr.done = make(chan struct{})
		go kr.loop()
	})
}

func (kr *keyring) loop() {
	defer close(kr.done)
	t := time.NewTicker(kr.cfg.ReloadInterval)
	defer t.Stop()
	for {
		select {
		case <-kr.stop:
			return
		case <-t.C:
			kr.checkReload()
		}
	}
}

// checkReload reloads the key material if the file's size or modification time changed. On failure the
// previous keys stay in force.
func (kr *keyring) checkReload() bool {
	fi, err := os.Stat(kr.path)
	if err != nil {
		kr.reloadFailed(err)
		return false
	}
	if fi.ModTime().Equal(kr.modTime) && fi.Size() == kr.size {
		return false
	}
	ks, err := kr.load()
	if err != nil {
		kr.reloadFailed(err)
		return false
	}
	kr.modTime, kr.size = fi.ModTime(), fi.Size()
	kr.cur.Store(ks)
	kr.logger.Info("pii_scrub: key material reloaded", zap.String("path", kr.path), zap.String("key_id", ks.describeID()))
	return true
}

func (kr *keyring) reloadFailed(err error) {
	kr.logger.Warn("pii_scrub: key reload failed; keeping the previous keys", zap.String("path", kr.path), zap.Error(err))
	if kr.onReloadError != nil {
		kr.onReloadError()
	}
}

func (kr *keyring) shutdown() {
	kr.stopOnce.Do(func() {
		if kr.stop != nil {
			close(kr.stop)
			<-kr.done
		}
	})
}

// describeID is what may be logged about the key material: ids only.
func (ks *keySet) describeID() string {
	switch {
	case ks.keyset != nil:
		return fmt.Sprintf("keyset of %d day keys", len(ks.keyset))
	case ks.rotation == RotationDaily:
		return ks.baseID + "_<yyyymmdd>"
	default:
		return ks.static.id
	}
}
