package sources

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPeopleIn(t *testing.T) {
	tests := []struct{ in, writers, editors string }{
		{"本报记者 王乐文 方 敏", "王乐文、方敏", ""},
		{"（记者 岳品瑜 董晗萱）", "岳品瑜、董晗萱", ""},
		{"北京商报讯（记者 岳品瑜 董晗萱）5月20日，", "岳品瑜、董晗萱", ""},
		{"新华社北京5月19日电（刘艺、杨吉）记者从中国科学院获悉", "刘艺、杨吉", ""},
		{"新华社深圳5月12日电（记者戴小河、印朋）", "戴小河、印朋", ""},
		{"本报讯（记者叶婉）", "叶婉", ""},
		{"长江网10月4日讯（记者陈智 整合）", "陈智", ""},
		{"（总台央视记者 奚丹霓 张赛）", "奚丹霓、张赛", ""},
		{"新京报记者 彭冲 山东冠县报道", "彭冲", ""},
		{"某报记者张三/文", "张三", ""},
		{"□ 本报记者 张三", "张三", ""},
		{"采写：南都见习记者 林子沛", "林子沛", ""},
		{"中青报·中青网记者 魏其濛 来源：中国青年报", "魏其濛", ""},
		{"《棱镜》作者 周纯", "周纯", ""},
		{"新华社记者邹多为、唐诗凝、丁乐", "邹多为、唐诗凝、丁乐", ""},
		{"（某某网编辑 张三）", "", "张三"},
		{"（责任编辑：\n张三）", "", "张三"},
		{"编辑：倪仕轩 责任编辑：杨格", "", "倪仕轩、杨格"},
		{"责任编辑：支全明 SF099", "", "支全明"},
		{"责编：黄忆南 PN269", "", "黄忆南"},
		{"化成雨_NBJ11143 责任编辑：化成雨_NBJ11143", "", "化成雨"},
		{"责编：Demi Xia", "", "Demi Xia"},
		{"医技药剂党支部、药剂科供稿 摄影/张艳 编辑/苏芳", "", "苏芳"},
		{"作者：新京报", "", ""},
		{"作者：网络整理 阅读：1644", "", ""},
		{"作者：南帆 分享到：", "南帆", ""},
		{"新华社记者 李梦馨 摄", "", ""},
		{"记者了解到，这个项目已经启动。", "", ""},
		{"记者通过电子邮件联系了富士康，截至发稿时，尚未收到回应。", "", ""},
		{"声明：该文观点仅代表作者本人，搜狐号系信息发布平台", "", ""},
		{"原作者女儿：改成这样不觉得拗口吗？", "", ""},
		{"编辑部", "", ""},
		{"", "", ""},
	}
	for _, tt := range tests {
		w, e := peopleIn(tt.in)
		if got, got2 := strings.Join(w, "、"), strings.Join(e, "、"); got != tt.writers || got2 != tt.editors {
			t.Errorf("peopleIn(%q) = %q, %q; want %q, %q", tt.in, got, got2, tt.writers, tt.editors)
		}
	}
}

func TestLooksLikeName(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"张三", true}, {"张三、李四", true}, {"alonliu", true},
		{"网易", true}, // a name to look at; the caller checks the site's own name
		{"大汉网络", false}, {"Discuz! Team and Comsenz UI Team", false}, {"sina_mobile", false},
		{"105464", false}, {"name, email@gmail.com", false}, {"青网新闻张毅", false},
	}
	for _, tt := range tests {
		if got := looksLikeName(tt.in); got != tt.want {
			t.Errorf("looksLikeName(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzPeopleIn(f *testing.F) {
	claimSeeds(f)
	f.Fuzz(func(t *testing.T, s string) {
		w, e := peopleIn(s)
		s = strings.ToValidUTF8(s, "")
		for _, n := range append(w, e...) {
			if n == "" || !utf8.ValidString(n) || strings.ContainsAny(n, "\n、，,()（）") ||
				anyLabel.MatchString(n) || !hasLetter(n) || !strings.Contains(s, strings.Fields(n)[0]) && !strings.Contains(noSpace(s), n) {
				t.Errorf("peopleIn(%q) gave %q", s, n)
			}
		}
	})
}
