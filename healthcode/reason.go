package healthcode

// Reason says why a code was accepted or refused; each verification step
// has its own.
type Reason string

const (
	ReasonOK                   Reason = "ok"
	ReasonEmpty                Reason = "empty"
	ReasonBadPrefix            Reason = "bad_prefix"
	ReasonTooLarge             Reason = "too_large"
	ReasonBadBase45            Reason = "bad_base45"
	ReasonBadCBOR              Reason = "bad_cbor"
	ReasonBadCOSE              Reason = "bad_cose"
	ReasonAlgorithm            Reason = "alg_not_allowed"
	ReasonNoTrustList          Reason = "no_trust_list"
	ReasonUnknownIssuer        Reason = "unknown_kid"
	ReasonIssuerExpired        Reason = "issuer_expired"
	ReasonBadSignature         Reason = "bad_signature"
	ReasonBadClaims            Reason = "bad_claims"
	ReasonRegionMismatch       Reason = "region_mismatch"
	ReasonNotYetValid          Reason = "not_yet_valid"
	ReasonExpired              Reason = "expired"
	ReasonNoHolderKey          Reason = "no_holder_key"
	ReasonBadHolderSignature   Reason = "bad_holder_signature"
	ReasonStalePresentation    Reason = "stale_presentation"
	ReasonReplayedPresentation Reason = "replayed_presentation"
)

// Reasons lists every reason, for documentation and tests.
var Reasons = []Reason{
	ReasonOK, ReasonEmpty, ReasonBadPrefix, ReasonTooLarge, ReasonBadBase45, ReasonBadCBOR,
	ReasonBadCOSE, ReasonAlgorithm, ReasonNoTrustList, ReasonUnknownIssuer, ReasonIssuerExpired,
	ReasonBadSignature, ReasonBadClaims, ReasonRegionMismatch, ReasonNotYetValid, ReasonExpired,
	ReasonNoHolderKey, ReasonBadHolderSignature, ReasonStalePresentation, ReasonReplayedPresentation,
}

var reasonText = map[Reason][2]string{
	ReasonOK:                   {"验证通过", "the code is genuine and in date"},
	ReasonEmpty:                {"没有读到内容，请重新扫码", "nothing was read; scan again"},
	ReasonBadPrefix:            {"不是健康码（可能是其他二维码）", "this is not a health pass code (another kind of QR code)"},
	ReasonTooLarge:             {"二维码内容过长，不是健康码", "the QR code holds too much data to be a health pass code"},
	ReasonBadBase45:            {"健康码内容损坏，请重新扫码", "the code's text is damaged; scan again"},
	ReasonBadCBOR:              {"健康码数据损坏或被截断", "the code's data is damaged or cut short"},
	ReasonBadCOSE:              {"健康码签名结构损坏", "the code's signature envelope is damaged"},
	ReasonAlgorithm:            {"签名算法不被接受（可能是伪造）", "the signature algorithm is not accepted (possibly forged)"},
	ReasonNoTrustList:          {"本机没有签发机构名单，请先同步", "this scanner has no issuer list yet; sync first"},
	ReasonUnknownIssuer:        {"签发机构未知（可能是伪造，或需要同步名单）", "unknown issuer (possibly forged, or the issuer list needs a sync)"},
	ReasonIssuerExpired:        {"签发机构的密钥已过期", "the issuer's key has expired"},
	ReasonBadSignature:         {"签名不符：健康码是伪造或被篡改的", "signature does not match: the code is forged or altered"},
	ReasonBadClaims:            {"健康码内容不完整或格式不对", "the code's contents are incomplete or malformed"},
	ReasonRegionMismatch:       {"签发机构无权签发该地区的健康码", "the issuer may not issue codes for this region"},
	ReasonNotYetValid:          {"健康码尚未生效（或本机时钟不准）", "the code is not valid yet (or this scanner's clock is wrong)"},
	ReasonExpired:              {"健康码已过期，请刷新健康码", "the code has expired; ask for a fresh code"},
	ReasonNoHolderKey:          {"动态码缺少持码人密钥", "the live code lacks the holder's key"},
	ReasonBadHolderSignature:   {"动态码签名不符（可能是伪造）", "the live code's holder signature does not match (possibly forged)"},
	ReasonStalePresentation:    {"动态码已过时（可能是截图），请出示实时健康码", "the live code is out of date (possibly a screenshot); show the live code"},
	ReasonReplayedPresentation: {"动态码已被使用过（可能是截图转发）", "this live code was already shown (possibly a forwarded screenshot)"},
}

// Message is the sentence an operator reads, in "zh" or "en".
func (r Reason) Message(lang string) string {
	t, ok := reasonText[r]
	if !ok {
		if lang == "zh" {
			return "无效健康码"
		}
		return "invalid code"
	}
	if lang == "en" {
		return t[1]
	}
	return t[0]
}
