package healthcode

import "fmt"

// Region is a GB/T 2260 administrative division code, e.g. 110000 (Beijing)
// or 440300 (Shenzhen). Codes are recognised across regions ("one code
// pass"): the trust list holds one issuer per region.
type Region uint32

// Valid reports whether r has the six-digit shape of a GB/T 2260 code whose
// province part is one that exists.
func (r Region) Valid() bool {
	if r < 110000 || r > 829999 {
		return false
	}
	_, ok := provinces[uint32(r)/10000]
	return ok
}

// Province returns the province-level region that contains r.
func (r Region) Province() Region { return Region(uint32(r) / 10000 * 10000) }

func (r Region) String() string { return fmt.Sprintf("%06d", uint32(r)) }

// Name is the province-level name of r in lang ("zh" or anything else for
// English), e.g. 北京 / Beijing; for a city code the province is named with
// the code, since the scanner does not carry the full GB/T 2260 table.
func (r Region) Name(lang string) string {
	p, ok := provinces[uint32(r)/10000]
	if !ok {
		return r.String()
	}
	n := p[1]
	if lang == "zh" {
		n = p[0]
	}
	if r != r.Province() {
		return fmt.Sprintf("%s %s", n, r.String())
	}
	return n
}

// ParseRegion reads a six-digit code.
func ParseRegion(s string) (Region, error) {
	var v uint32
	if len(s) != 6 {
		return 0, fmt.Errorf("region %q: want six digits (GB/T 2260)", s)
	}
	for _, ch := range s {
		if ch < '0' || ch > '9' {
			return 0, fmt.Errorf("region %q: want six digits (GB/T 2260)", s)
		}
		v = v*10 + uint32(ch-'0')
	}
	if !Region(v).Valid() {
		return 0, fmt.Errorf("region %q: no such province (GB/T 2260)", s)
	}
	return Region(v), nil
}

var provinces = map[uint32][2]string{
	11: {"北京", "Beijing"}, 12: {"天津", "Tianjin"}, 13: {"河北", "Hebei"}, 14: {"山西", "Shanxi"},
	15: {"内蒙古", "Inner Mongolia"}, 21: {"辽宁", "Liaoning"}, 22: {"吉林", "Jilin"},
	23: {"黑龙江", "Heilongjiang"}, 31: {"上海", "Shanghai"}, 32: {"江苏", "Jiangsu"},
	33: {"浙江", "Zhejiang"}, 34: {"安徽", "Anhui"}, 35: {"福建", "Fujian"}, 36: {"江西", "Jiangxi"},
	37: {"山东", "Shandong"}, 41: {"河南", "Henan"}, 42: {"湖北", "Hubei"}, 43: {"湖南", "Hunan"},
	44: {"广东", "Guangdong"}, 45: {"广西", "Guangxi"}, 46: {"海南", "Hainan"}, 50: {"重庆", "Chongqing"},
	51: {"四川", "Sichuan"}, 52: {"贵州", "Guizhou"}, 53: {"云南", "Yunnan"}, 54: {"西藏", "Tibet"},
	61: {"陕西", "Shaanxi"}, 62: {"甘肃", "Gansu"}, 63: {"青海", "Qinghai"}, 64: {"宁夏", "Ningxia"},
	65: {"新疆", "Xinjiang"}, 71: {"台湾", "Taiwan"}, 81: {"香港", "Hong Kong"}, 82: {"澳门", "Macao"},
}
