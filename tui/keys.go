package tui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every key binding, built by DefaultKeyMap and handed down in
// common. Letters avoid the uppercase alphabet of a handheld scanner's
// payload (HCN1:/HCP1: + Base45) where a screen takes plain keys.
type KeyMap struct {
	Quit      key.Binding
	ForceQuit key.Binding
	Help      key.Binding
	Lang      key.Binding
	Records   key.Binding
	Sync      key.Binding
	Manual    key.Binding
	Roster    key.Binding
	Preview   key.Binding
	Lock      key.Binding
	SignOut   key.Binding
	Back      key.Binding
	Confirm   key.Binding
	Next      key.Binding
	Up        key.Binding
	Down      key.Binding
	Remeasure key.Binding
	Choose    key.Binding
	SyncNow   key.Binding
	AckAlerts key.Binding
	Filter    key.Binding
	Search    key.Binding
	NextField key.Binding
	PrevField key.Binding
	Digits    key.Binding
}

// DefaultKeyMap is the gate's standard layout.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Quit:      key.NewBinding(key.WithKeys("q"), key.WithHelp("q", "quit / 退出")),
		ForceQuit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit now / 立即退出")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help / 帮助")),
		Lang:      key.NewBinding(key.WithKeys("L", "l"), key.WithHelp("L", "中文/English")),
		Records:   key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "records / 记录")),
		Sync:      key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "sync / 同步")),
		Manual:    key.NewBinding(key.WithKeys("m"), key.WithHelp("m", "manual entry / 手工登记")),
		Roster:    key.NewBinding(key.WithKeys("g"), key.WithHelp("g", "roster mode / 名单登记")),
		Preview:   key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "camera preview / 画面")),
		Lock:      key.NewBinding(key.WithKeys("k"), key.WithHelp("k", "lock / 锁屏")),
		SignOut:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "sign out / 交班")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back, cancel / 返回")),
		Confirm:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm / 确认")),
		Next:      key.NewBinding(key.WithKeys("enter", " "), key.WithHelp("enter", "next person / 下一位")),
		Up:        key.NewBinding(key.WithKeys("up"), key.WithHelp("↑", "up / 上")),
		Down:      key.NewBinding(key.WithKeys("down"), key.WithHelp("↓", "down / 下")),
		Remeasure: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "measure again / 复测")),
		Choose:    key.NewBinding(key.WithKeys("1", "2", "3", "4", "5", "6"), key.WithHelp("1-5", "choose action / 选择处置")),
		SyncNow:   key.NewBinding(key.WithKeys("n"), key.WithHelp("n", "sync now / 立即同步")),
		AckAlerts: key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "alerts noted / 已知悉警报")),
		Filter:    key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "filter / 筛选")),
		Search:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "search / 搜索")),
		NextField: key.NewBinding(key.WithKeys("tab", "down"), key.WithHelp("tab", "next field / 下一项")),
		PrevField: key.NewBinding(key.WithKeys("shift+tab", "up"), key.WithHelp("shift+tab", "previous field / 上一项")),
		Digits:    key.NewBinding(key.WithKeys("0", "1", "2", "3", "4", "5", "6", "7", "8", "9", ".", ",", "backspace"), key.WithHelp("0-9 .", "temperature / 体温")),
	}
}
