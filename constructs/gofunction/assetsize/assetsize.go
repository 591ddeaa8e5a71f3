// Package assetsize measures a Lambda asset folder as it ships: zipped the
// way CDK zips an asset for upload. It imports nothing from CDK, so the
// benchmark harness can use it without linking the CDK bindings.
package assetsize

import (
	"archive/zip"
	"compress/flate"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// Zipped is the size of dir zipped as CDK zips an asset for upload
// (deflate at the best compression).
func Zipped(dir string) (int64, error) {
	var c countingWriter
	if err := Zip(dir, &c); err != nil {
		return 0, err
	}
	return c.n, nil
}

// Zip writes the zip archive of dir's files to w.
func Zip(dir string, out io.Writer) error {
	zw := zip.NewWriter(out)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestCompression)
	})
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		h, err := zip.FileInfoHeader(info)
		if err != nil {
			return err
		}
		h.Name, h.Method = filepath.ToSlash(rel), zip.Deflate
		w, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(w, f)
		return err
	})
	if err != nil {
		return err
	}
	return zw.Close()
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
