// Command checker verifies strongroom log checkpoints and proofs with Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog, an implementation strongroom's
// authors did not write. Build in GOPATH mode (see docs/auditor-guide.md):
//
//	GO111MODULE=off GOPATH=$tmp:/usr/share/gocode go build -o checker checker.go
//
// Usage:
//
//	checker vkey VKEY_FILE                      re-derive the vkey string from its key
//	checker checkpoint VKEY_FILE CHECKPOINT     verify a signed checkpoint
//	checker inclusion VKEY_FILE TLOG_PROOF      verify a c2sp.org/tlog-proof@v1 file
//	checker consistency VKEY_FILE OLD_CHECKPOINT CONSISTENCY_PROOF
//	checker tiles VKEY_FILE EXPORT_DIR INDEX...  read a tlog-tiles export through
//	                                            tlog.TileHashReader: every entry bundle's
//	                                            entries hash to the tree's leaves, the tree
//	                                            hash is the checkpoint's, and each INDEX is
//	                                            proven included (ProveRecord/CheckRecord)
//	checker tiles-consistency VKEY_FILE OLD_EXPORT NEW_EXPORT
//	                                            the new export's tree extends the old one's
//	                                            (ProveTree from the new tiles, CheckTree)
//
// Exit status 0 means verified; anything else prints the reason.
package main

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type checkpoint struct {
	origin string
	size   int64
	root   tlog.Hash
}

func readVerifier(path string) (note.Verifier, string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, "", err
	}
	vkey := strings.TrimSpace(string(b))
	v, err := note.NewVerifier(vkey)
	return v, vkey, err
}

// openCheckpoint verifies the note signature and parses the tlog-checkpoint body.
func openCheckpoint(v note.Verifier, msg []byte) (checkpoint, error) {
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return checkpoint{}, fmt.Errorf("note: %w", err)
	}
	lines := strings.Split(strings.TrimSuffix(n.Text, "\n"), "\n")
	if len(lines) < 3 {
		return checkpoint{}, errors.New("checkpoint has fewer than 3 lines")
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || size < 0 || strconv.FormatInt(size, 10) != lines[1] {
		return checkpoint{}, fmt.Errorf("bad tree size %q", lines[1])
	}
	root, err := tlog.ParseHash(lines[2])
	if err != nil {
		return checkpoint{}, fmt.Errorf("bad root hash: %w", err)
	}
	if lines[0] != v.Name() {
		return checkpoint{}, fmt.Errorf("origin %q is not the key name %q", lines[0], v.Name())
	}
	return checkpoint{lines[0], size, root}, nil
}

// splitProof returns the header lines before the empty line and the note after it.
func splitProof(text, header string) ([]string, []byte, error) {
	head, rest, ok := strings.Cut(text, "\n\n")
	if !ok {
		return nil, nil, errors.New("no empty line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != header {
		return nil, nil, fmt.Errorf("first line is not %q", header)
	}
	return lines[1:], []byte(rest), nil
}

func parseHashes(lines []string) ([]tlog.Hash, error) {
	var out []tlog.Hash
	for _, l := range lines {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return nil, fmt.Errorf("bad proof hash %q: %w", l, err)
		}
		out = append(out, h)
	}
	return out, nil
}

func inclusion(v note.Verifier, text string) error {
	lines, msg, err := splitProof(text, "c2sp.org/tlog-proof@v1")
	if err != nil {
		return err
	}
	var extra []byte
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		if extra, err = base64.StdEncoding.DecodeString(lines[0][6:]); err != nil {
			return fmt.Errorf("bad extra: %w", err)
		}
		lines = lines[1:]
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "index ") {
		return errors.New("no index line")
	}
	index, err := strconv.ParseInt(lines[0][6:], 10, 64)
	if err != nil {
		return fmt.Errorf("bad index: %w", err)
	}
	proof, err := parseHashes(lines[1:])
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(v, msg)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), cp.size, cp.root, index, tlog.RecordHash(extra)); err != nil {
		return fmt.Errorf("tlog.CheckRecord: %w", err)
	}
	fmt.Printf("OK inclusion of record %d in %s at size %d\n", index, cp.origin, cp.size)
	return nil
}

func consistency(v note.Verifier, oldMsg []byte, text string) error {
	old, err := openCheckpoint(v, oldMsg)
	if err != nil {
		return fmt.Errorf("old checkpoint: %w", err)
	}
	lines, msg, err := splitProof(text, "strongroom.dev/tlog-consistency@v1")
	if err != nil {
		return err
	}
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "old ") {
		return errors.New("no old line")
	}
	proof, err := parseHashes(lines[1:])
	if err != nil {
		return err
	}
	cp, err := openCheckpoint(v, msg)
	if err != nil {
		return err
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), cp.size, cp.root, old.size, old.root); err != nil {
		return fmt.Errorf("tlog.CheckTree: %w", err)
	}
	fmt.Printf("OK size %d is a prefix of %s at size %d\n", old.size, cp.origin, cp.size)
	return nil
}

// dirTiles serves tiles from a C2SP tlog-tiles folder. Go's sumdb names
// tiles tile/8/L/N and tile/8/data/N; C2SP drops the height and calls the
// data tiles "entries". Tile.Path's N and .p/W encoding is used as is, so
// that our path layout is checked by code we did not write.
type dirTiles struct{ dir string }

func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(p, "data/") {
		return "tile/entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

func (d dirTiles) Height() int { return 8 }
func (d dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		b, err := os.ReadFile(filepath.Join(d.dir, c2spPath(t)))
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}
func (d dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func readExport(v note.Verifier, dir string) (checkpoint, tlog.HashReader, error) {
	msg, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		return checkpoint{}, nil, err
	}
	cp, err := openCheckpoint(v, msg)
	if err != nil {
		return checkpoint{}, nil, err
	}
	return cp, tlog.TileHashReader(tlog.Tree{N: cp.size, Hash: cp.root}, dirTiles{dir}), nil
}

// bundleEntries splits an entry bundle: big-endian uint16 length-prefixed entries.
func bundleEntries(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("bundle ends inside a length")
		}
		n := int(b[0])<<8 | int(b[1])
		if len(b) < 2+n {
			return nil, errors.New("bundle ends inside an entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	return out, nil
}

func tiles(v note.Verifier, dir string, indexes []string) error {
	cp, hr, err := readExport(v, dir)
	if err != nil {
		return err
	}
	// TileHashReader checks every tile it reads against the signed root.
	th, err := tlog.TreeHash(cp.size, hr)
	if err != nil {
		return fmt.Errorf("tlog.TreeHash: %w", err)
	}
	if th != cp.root {
		return errors.New("tree hash from the tiles is not the checkpoint's root")
	}
	var entries [][]byte
	for n := int64(0); n*256 < cp.size; n++ {
		w := cp.size - n*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: 8, L: -1, N: n, W: int(w)}
		b, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
		if err != nil {
			return err
		}
		es, err := bundleEntries(b)
		if err != nil {
			return fmt.Errorf("%s: %w", c2spPath(t), err)
		}
		if int64(len(es)) != w {
			return fmt.Errorf("%s holds %d entries, not %d", c2spPath(t), len(es), w)
		}
		entries = append(entries, es...)
	}
	idx := make([]int64, len(entries))
	for i := range entries {
		idx[i] = tlog.StoredHashIndex(0, int64(i))
	}
	leaves, err := hr.ReadHashes(idx)
	if err != nil {
		return fmt.Errorf("reading the leaf hashes: %w", err)
	}
	for i, e := range entries {
		if tlog.RecordHash(e) != leaves[i] {
			return fmt.Errorf("entry %d does not hash to leaf %d of the tree", i, i)
		}
	}
	for _, s := range indexes {
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || i < 0 || i >= cp.size {
			return fmt.Errorf("bad index %q", s)
		}
		p, err := tlog.ProveRecord(cp.size, i, hr)
		if err != nil {
			return fmt.Errorf("tlog.ProveRecord(%d): %w", i, err)
		}
		if err := tlog.CheckRecord(p, cp.size, cp.root, i, tlog.RecordHash(entries[i])); err != nil {
			return fmt.Errorf("tlog.CheckRecord(%d): %w", i, err)
		}
	}
	fmt.Printf("OK tiles of %s at size %d: %d entries, %d inclusion proofs\n", cp.origin, cp.size,
		len(entries), len(indexes))
	return nil
}

func tilesConsistency(v note.Verifier, oldDir, newDir string) error {
	old, _, err := readExport(v, oldDir)
	if err != nil {
		return fmt.Errorf("old export: %w", err)
	}
	cp, hr, err := readExport(v, newDir)
	if err != nil {
		return fmt.Errorf("new export: %w", err)
	}
	p, err := tlog.ProveTree(cp.size, old.size, hr)
	if err != nil {
		return fmt.Errorf("tlog.ProveTree: %w", err)
	}
	if err := tlog.CheckTree(p, cp.size, cp.root, old.size, old.root); err != nil {
		return fmt.Errorf("tlog.CheckTree: %w", err)
	}
	fmt.Printf("OK export of size %d extends the export of size %d\n", cp.size, old.size)
	return nil
}

func run(args []string) error {
	if len(args) < 2 {
		return errors.New("usage: checker vkey|checkpoint|inclusion|consistency VKEY_FILE ...")
	}
	v, vkey, err := readVerifier(args[1])
	if err != nil {
		return fmt.Errorf("vkey: %w", err)
	}
	read := func(i int) ([]byte, error) {
		if i >= len(args) {
			return nil, errors.New("missing file argument")
		}
		return os.ReadFile(args[i])
	}
	switch args[0] {
	case "vkey":
		parts := strings.SplitN(vkey, "+", 3)
		raw, err := base64.StdEncoding.DecodeString(parts[2])
		if err != nil || len(raw) != 33 {
			return errors.New("vkey key material is not 0x01 || 32 bytes")
		}
		again, err := note.NewEd25519VerifierKey(v.Name(), ed25519.PublicKey(raw[1:]))
		if err != nil {
			return err
		}
		if again != vkey {
			return fmt.Errorf("Go encodes this key as %s, not %s", again, vkey)
		}
		fmt.Println("OK vkey", again)
		return nil
	case "checkpoint":
		msg, err := read(2)
		if err != nil {
			return err
		}
		cp, err := openCheckpoint(v, msg)
		if err != nil {
			return err
		}
		fmt.Printf("OK checkpoint %s size %d root %s\n", cp.origin, cp.size, cp.root)
		return nil
	case "inclusion":
		text, err := read(2)
		if err != nil {
			return err
		}
		return inclusion(v, string(text))
	case "tiles":
		if len(args) < 3 {
			return errors.New("missing export folder")
		}
		return tiles(v, args[2], args[3:])
	case "tiles-consistency":
		if len(args) < 4 {
			return errors.New("missing export folders")
		}
		return tilesConsistency(v, args[2], args[3])
	case "consistency":
		old, err := read(2)
		if err != nil {
			return err
		}
		text, err := read(3)
		if err != nil {
			return err
		}
		return consistency(v, old, string(text))
	}
	return fmt.Errorf("unknown command %q", args[0])
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "checker: FAIL:", err)
		os.Exit(1)
	}
}
