package media

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// S3Config configures the S3 backend.
type S3Config struct {
	// Endpoint is the S3 service URL, e.g. "https://s3.eu-west-1.amazonaws.com"
	// or "http://minio:9000"; without a scheme, https is assumed.
	Endpoint string
	// Bucket must exist.
	Bucket    string
	AccessKey string
	SecretKey string
	// Region of the bucket; when empty the client asks the service.
	Region string
	// PublicURL is the base under which objects are publicly readable
	// (a CDN or the bucket's public website); when empty, image URLs are
	// path-style: Endpoint/Bucket/key.
	PublicURL string
}

// S3 is a Backend over S3-compatible object storage. Clients fetch its
// objects from the storage itself: images by public URL (the bucket or
// PublicURL must allow anonymous reads of images/), videos by presigned GET.
type S3 struct {
	client     *minio.Client
	bucket     string
	publicBase string
}

var (
	_ Backend = (*S3)(nil)
	_ Linker  = (*S3)(nil)
)

// NewS3 returns an S3 backend and checks that the bucket exists.
func NewS3(ctx context.Context, cfg S3Config) (*S3, error) {
	return newS3(ctx, cfg, nil)
}

// newS3 is NewS3 with an HTTP transport; nil means minio-go's default.
func newS3(ctx context.Context, cfg S3Config, transport http.RoundTripper) (*S3, error) {
	if cfg.Endpoint == "" || cfg.Bucket == "" {
		return nil, errors.New("s3: endpoint and bucket are required")
	}
	raw := cfg.Endpoint
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return nil, fmt.Errorf("s3: invalid endpoint %q: want scheme://host[:port]", cfg.Endpoint)
	}
	client, err := minio.New(u.Host, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    u.Scheme == "https",
		Region:    cfg.Region,
		Transport: transport,
	})
	if err != nil {
		return nil, fmt.Errorf("s3: new client: %w", err)
	}
	exists, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3: check bucket %q: %w", cfg.Bucket, err)
	}
	if !exists {
		return nil, fmt.Errorf("s3: bucket %q does not exist", cfg.Bucket)
	}
	base := strings.TrimRight(cfg.PublicURL, "/")
	if base == "" {
		base = u.Scheme + "://" + u.Host + "/" + url.PathEscape(cfg.Bucket)
	}
	return &S3{client: client, bucket: cfg.Bucket, publicBase: base}, nil
}

// Put uploads src (size bytes) under key with its content type.
func (s *S3) Put(ctx context.Context, key string, src *os.File, size int64, contentType string) error {
	_, err := s.client.PutObject(ctx, s.bucket, key, src, size, minio.PutObjectOptions{
		ContentType: contentType,
	})
	if err != nil {
		return fmt.Errorf("s3 put: %w", err)
	}
	return nil
}

// Delete removes key. S3 reports no error for a missing key.
func (s *S3) Delete(ctx context.Context, key string) error {
	if err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}); err != nil {
		return fmt.Errorf("s3 delete: %w", err)
	}
	return nil
}

// PublicURL returns PublicURL/key, or Endpoint/Bucket/key when PublicURL
// is empty.
func (s *S3) PublicURL(key string) string {
	return s.publicBase + "/" + key
}

// PresignedURL returns a presigned GET URL for key valid for ttl.
func (s *S3) PresignedURL(ctx context.Context, key string, ttl time.Duration) (string, error) {
	u, err := s.client.PresignedGetObject(ctx, s.bucket, key, ttl, nil)
	if err != nil {
		return "", fmt.Errorf("s3 presign: %w", err)
	}
	return u.String(), nil
}
