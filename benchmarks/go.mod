module github.com/ravenkit/raven/benchmarks

go 1.26.0

require (
	github.com/getsentry/raven-go v0.2.0
	github.com/getsentry/sentry-go v0.50.0
	github.com/getsentry/sentry-go/logrus v0.49.0
	github.com/getsentry/sentry-go/zerolog v0.48.0
	github.com/ravenkit/raven v0.0.0
	github.com/ravenkit/raven/integrations/logrus v0.0.0
	github.com/ravenkit/raven/integrations/zap v0.0.0
	github.com/ravenkit/raven/integrations/zerolog v0.0.0
	github.com/rs/zerolog v1.35.1
	github.com/sirupsen/logrus v1.10.2
	github.com/stretchr/testify v1.12.1
	go.uber.org/goleak v1.3.0
	go.uber.org/zap v1.28.0
	google.golang.org/grpc v1.85.0
)

require (
	github.com/bytedance/gopkg v0.1.3 // indirect
	github.com/bytedance/sonic v1.15.0 // indirect
	github.com/bytedance/sonic/loader v0.5.0 // indirect
	github.com/cloudwego/base64x v0.1.6 // indirect
	github.com/gabriel-vasile/mimetype v1.4.12 // indirect
	github.com/gin-contrib/sse v1.1.0 // indirect
	github.com/go-playground/locales v0.14.1 // indirect
	github.com/go-playground/universal-translator v0.18.1 // indirect
	github.com/go-playground/validator/v10 v10.30.1 // indirect
	github.com/goccy/go-json v0.10.5 // indirect
	github.com/goccy/go-yaml v1.19.2 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/json-iterator/go v1.1.12 // indirect
	github.com/klauspost/compress v1.20.3 // indirect
	github.com/klauspost/cpuid/v2 v2.3.0 // indirect
	github.com/labstack/gommon v0.5.0 // indirect
	github.com/leodido/go-urn v1.4.0 // indirect
	github.com/mattn/go-runewidth v0.0.16 // indirect
	github.com/modern-go/concurrent v0.0.0-20180306012644-bacd9c7ef1dd // indirect
	github.com/modern-go/reflect2 v1.0.2 // indirect
	github.com/molecule-man/go-brrr v1.3.1 // indirect
	github.com/pelletier/go-toml/v2 v2.2.4 // indirect
	github.com/quic-go/qpack v0.6.0 // indirect
	github.com/quic-go/quic-go v0.59.0 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/twitchyliquid64/golang-asm v0.15.1 // indirect
	github.com/ugorji/go/codec v1.3.1 // indirect
	github.com/valyala/bytebufferpool v1.0.0 // indirect
	github.com/valyala/fasttemplate v1.2.2 // indirect
	go.mongodb.org/mongo-driver/v2 v2.5.0 // indirect
	golang.org/x/arch v0.22.0 // indirect
	golang.org/x/crypto v0.58.0 // indirect
	golang.org/x/net v0.62.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)

require (
	github.com/buger/jsonparser v1.1.2 // indirect
	github.com/certifi/gocertifi v0.0.0-20210507211836-431795d63e8d // indirect
	github.com/getsentry/sentry-go/echo v0.42.0
	github.com/getsentry/sentry-go/fiber v0.49.0
	github.com/getsentry/sentry-go/gin v0.46.2
	github.com/gin-gonic/gin v1.12.0
	github.com/gofiber/fiber/v2 v2.52.15
	github.com/labstack/echo/v4 v4.16.0
	github.com/mattn/go-colorable v0.1.15 // indirect
	github.com/mattn/go-isatty v0.0.22 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/ravenkit/raven/integrations/echo v0.0.0
	github.com/ravenkit/raven/integrations/fasthttp v0.0.0
	github.com/ravenkit/raven/integrations/fiber v0.0.0
	github.com/ravenkit/raven/integrations/gin v0.0.0
	github.com/ravenkit/raven/integrations/grpc v0.0.0
	github.com/valyala/fasthttp v1.78.0
	go.uber.org/multierr v1.10.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	golang.org/x/time v0.16.0 // indirect
)

replace github.com/ravenkit/raven => ../

replace github.com/ravenkit/raven/integrations/logrus => ../integrations/logrus

replace github.com/ravenkit/raven/integrations/zap => ../integrations/zap

replace github.com/ravenkit/raven/integrations/zerolog => ../integrations/zerolog

replace github.com/ravenkit/raven/integrations/grpc => ../integrations/grpc

replace github.com/ravenkit/raven/integrations/gin => ../integrations/gin

replace github.com/ravenkit/raven/integrations/echo => ../integrations/echo

replace github.com/ravenkit/raven/integrations/fasthttp => ../integrations/fasthttp

replace github.com/ravenkit/raven/integrations/fiber => ../integrations/fiber
