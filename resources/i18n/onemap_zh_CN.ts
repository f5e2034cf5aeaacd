<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AlarmDialog</name>
    <message>
        <source>Misdial (pressed by mistake)</source>
        <translation>误触（误按报警）</translation>
    </message>
    <message>
        <source>Test of the device</source>
        <translation>设备测试</translation>
    </message>
    <message>
        <source>Device fault</source>
        <translation>设备故障</translation>
    </message>
    <message>
        <source>Prank</source>
        <translation>恶意报警</translation>
    </message>
    <message>
        <source>Other (say why in the note)</source>
        <translation>其他（请在备注中说明）</translation>
    </message>
    <message>
        <source>False alarm: {0}</source>
        <translation>误报：{0}</translation>
    </message>
    <message>
        <source>Acknowledge {0}</source>
        <translation>确认报警 {0}</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <source>optional, e.g. called back, the caller is safe</source>
        <translation>可选，例如：已回拨，报警人安全</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>备注：</translation>
    </message>
</context>
<context>
    <name>AlarmList</name>
    <message>
        <source>NOT ACKNOWLEDGED for {0}: {1}</source>
        <translation>已 {0} 无人确认：{1}</translation>
    </message>
    <message>
        <source>device {0}</source>
        <translation>设备 {0}</translation>
    </message>
    <message>
        <source>acknowledged by {0}</source>
        <translation>已由 {0} 确认</translation>
    </message>
    <message>
        <source>⚠ ALARM: {0} not acknowledged</source>
        <translation>⚠ 报警：{0} 条未确认</translation>
    </message>
    <message>
        <source> (the oldest {0} here, all in the Alarms dock)</source>
        <translation>（此处显示最早的 {0} 条，全部见“报警”面板）</translation>
    </message>
    <message>
        <source>Open alarms: {0}</source>
        <translation>未结报警：{0}</translation>
    </message>
    <message>
        <source>No open alarms</source>
        <translation>没有未结报警</translation>
    </message>
</context>
<context>
    <name>AlarmRow</name>
    <message>
        <source>Acknowledge…</source>
        <translation>确认…</translation>
    </message>
    <message>
        <source>To incident</source>
        <translation>转为警情</translation>
    </message>
    <message>
        <source>False alarm…</source>
        <translation>误报…</translation>
    </message>
    <message>
        <source>Show cameras</source>
        <translation>显示摄像头</translation>
    </message>
    <message>
        <source>Device&apos;s media</source>
        <translation>设备音视频</translation>
    </message>
</context>
<context>
    <name>AssignedUnits</name>
    <message>
        <source>left the incident</source>
        <translation>已离开该警情</translation>
    </message>
    <message>
        <source>The units moved just before your click: nothing was changed. Check the unit and click again.</source>
        <translation>点击前警力列表刚刚移动：未作任何更改。请核对警力后再点击。</translation>
    </message>
</context>
<context>
    <name>CameraList</name>
    <message>
        <source>Search cameras</source>
        <translation>搜索摄像头</translation>
    </message>
    <message>
        <source>{0} · grid cell {1} · id {2}</source>
        <translation>{0} · 网格 {1} · 编号 {2}</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
</context>
<context>
    <name>CaseDetails</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Step</source>
        <translation>环节</translation>
    </message>
    <message>
        <source>By</source>
        <translation>操作人</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>说明</translation>
    </message>
    <message>
        <source>Register</source>
        <translation>立案</translation>
    </message>
    <message>
        <source>Dispatch</source>
        <translation>派遣</translation>
    </message>
    <message>
        <source>Started</source>
        <translation>开始处置</translation>
    </message>
    <message>
        <source>Handled</source>
        <translation>处置完毕</translation>
    </message>
    <message>
        <source>Returned</source>
        <translation>退回</translation>
    </message>
    <message>
        <source>Verified: passed</source>
        <translation>核查通过</translation>
    </message>
    <message>
        <source>Verified: failed</source>
        <translation>核查未通过</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>结案</translation>
    </message>
    <message>
        <source>Rate</source>
        <translation>评价</translation>
    </message>
    <message>
        <source>Reject</source>
        <translation>不予立案</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>事项类别</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>责任部门</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>不予立案原因</translation>
    </message>
    <message>
        <source>Rating (1-5)</source>
        <translation>评价（1-5）</translation>
    </message>
    <message>
        <source>Note or reason</source>
        <translation>备注或理由</translation>
    </message>
    <message>
        <source>what was done, what is wrong, why it goes back…</source>
        <translation>处置情况、存在问题、退回理由…</translation>
    </message>
    <message>
        <source>No case selected: choose one in the case queue or on the map</source>
        <translation>未选择事件：请在事件队列或地图上选择</translation>
    </message>
    <message>
        <source>{0} · {1} · {2}</source>
        <translation>{0} · {1} · {2}</translation>
    </message>
    <message>
        <source> · OVERDUE</source>
        <translation> · 已超期</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>上报内容</translation>
    </message>
    <message>
        <source>Place</source>
        <translation>地点</translation>
    </message>
    <message>
        <source>Reported</source>
        <translation>上报</translation>
    </message>
    <message>
        <source>{0} by {1} ({2})</source>
        <translation>{0}，上报人 {1}（{2}）</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>举报人</translation>
    </message>
    <message>
        <source> (in {0})</source>
        <translation>（剩余 {0}）</translation>
    </message>
    <message>
        <source>({0} late)</source>
        <translation>（超期 {0}）</translation>
    </message>
    <message>
        <source>Due</source>
        <translation>处置时限</translation>
    </message>
    <message>
        <source>on time</source>
        <translation>按期</translation>
    </message>
    <message>
        <source>late</source>
        <translation>超期</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>结案</translation>
    </message>
    <message>
        <source>Rating</source>
        <translation>评价</translation>
    </message>
    <message>
        <source>report</source>
        <translation>上报</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>passed</source>
        <translation>通过</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>未通过</translation>
    </message>
    <message>
        <source>{0} photos</source>
        <translation>照片 {0} 张</translation>
    </message>
</context>
<context>
    <name>CaseModel</name>
    <message>
        <source>Case</source>
        <translation>事件编号</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>事项类别</translation>
    </message>
    <message>
        <source>Department</source>
        <translation>责任部门</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>已历时</translation>
    </message>
    <message>
        <source>Due in</source>
        <translation>剩余时限</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>上报内容</translation>
    </message>
    <message>
        <source>{0} late</source>
        <translation>超期 {0}</translation>
    </message>
</context>
<context>
    <name>CaseQueue</name>
    <message>
        <source>Overdue only</source>
        <translation>仅超期</translation>
    </message>
    <message>
        <source>Closed and rejected too</source>
        <translation>含已结案和不予立案</translation>
    </message>
    <message>
        <source>All departments</source>
        <translation>全部责任部门</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>全部事项类别</translation>
    </message>
    <message>
        <source>All statuses</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>By {0}</source>
        <translation>按{0}</translation>
    </message>
    <message>
        <source>Every {0}</source>
        <translation>全部{0}</translation>
    </message>
    <message>
        <source>{0} of {1} cases</source>
        <translation>{0}/{1} 件事件</translation>
    </message>
</context>
<context>
    <name>CloseIncidentDialog</name>
    <message>
        <source>Close incident {0}</source>
        <translation>结案 {0}</translation>
    </message>
    <message>
        <source>Optional: what was done, by whom, references</source>
        <translation>选填：处置经过、处置人、相关编号</translation>
    </message>
    <message>
        <source>Close incident</source>
        <translation>结案</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Disposition</source>
        <translation>处置结果</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>The note is longer than {0} characters.</source>
        <translation>备注超过 {0} 个字符。</translation>
    </message>
    <message>
        <source>Choose a disposition.</source>
        <translation>请选择处置结果。</translation>
    </message>
</context>
<context>
    <name>ConnectionIndicator</name>
    <message>
        <source>your sign-in is not valid (ask a supervisor for a new token)</source>
        <translation>您的登录凭据无效（请向值班长申请新令牌）</translation>
    </message>
    <message>
        <source>your role may not use this console</source>
        <translation>您的角色无权使用此控制台</translation>
    </message>
    <message>
        <source>the server refused this console</source>
        <translation>服务器拒绝了此控制台</translation>
    </message>
    <message>
        <source>the server does not answer at its address (it may be down, or the network is cut)</source>
        <translation>服务器在其地址上无应答（可能已停机或网络中断）</translation>
    </message>
    <message>
        <source>the server did not answer in time</source>
        <translation>服务器未及时应答</translation>
    </message>
    <message>
        <source>the server&apos;s name is not known on this network</source>
        <translation>本网络中无法识别服务器名称</translation>
    </message>
    <message>
        <source>the secure connection could not be set up (certificate)</source>
        <translation>无法建立安全连接（证书问题）</translation>
    </message>
    <message>
        <source>the address does not lead to a dispatch server</source>
        <translation>该地址不是调度服务器</translation>
    </message>
    <message>
        <source>the connection was cut</source>
        <translation>连接已中断</translation>
    </message>
    <message>
        <source>Connected as {0}</source>
        <translation>已连接：{0}</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Refused by the server: {0}</source>
        <translation>被服务器拒绝：{0}</translation>
    </message>
    <message>
        <source>Disconnected — commands are refused until the link is back: {0}</source>
        <translation>已断开 — 连接恢复前指令不会发送：{0}</translation>
    </message>
</context>
<context>
    <name>DevicesPanel</name>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Device id</source>
        <translation>设备标识</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>位置</translation>
    </message>
    <message>
        <source>Last heard</source>
        <translation>最后收到</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>警力单元</translation>
    </message>
    <message>
        <source>Attach to unit</source>
        <translation>关联到单元</translation>
    </message>
    <message>
        <source>Detach</source>
        <translation>解除关联</translation>
    </message>
    <message>
        <source>no fix</source>
        <translation>无定位</translation>
    </message>
    <message>
        <source>— attach to a unit</source>
        <translation>— 请关联到单元</translation>
    </message>
    <message>
        <source>{0} devices, {1} waiting to be attached to a unit</source>
        <translation>{0} 台设备，{1} 台待关联到单元</translation>
    </message>
</context>
<context>
    <name>ExerciseWindow</name>
    <message>
        <source>EXERCISE · {0} · nothing here is live</source>
        <translation>演练 · {0} · 此处内容均非实战</translation>
    </message>
    <message>
        <source>EXERCISE {0} — {1}</source>
        <translation>演练 {0} — {1}</translation>
    </message>
    <message>
        <source>EXERCISE {0} · {1}</source>
        <translation>演练 {0} · {1}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Replay…</source>
        <translation>回放…</translation>
    </message>
    <message>
        <source>Leave the exercise</source>
        <translation>退出演练</translation>
    </message>
    <message>
        <source>EXERCISE {0} — OneMap — video wall</source>
        <translation>演练 {0} — 一张图 — 视频墙</translation>
    </message>
</context>
<context>
    <name>HitDialog</name>
    <message>
        <source>Misread (the reader got the plate wrong)</source>
        <translation>误识（设备读错了号牌）</translation>
    </message>
    <message>
        <source>Not the vehicle (the right plate on another vehicle)</source>
        <translation>非目标车辆（号牌相同但车辆不符）</translation>
    </message>
    <message>
        <source>Other (say why in the note)</source>
        <translation>其他（请在备注中说明）</translation>
    </message>
    <message>
        <source>Reject hit {0}: {1}</source>
        <translation>否决比中 {0}：{1}</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <source>optional, e.g. the camera shows a white van</source>
        <translation>可选，例如：画面中是一辆白色面包车</translation>
    </message>
    <message>
        <source>Note:</source>
        <translation>备注：</translation>
    </message>
</context>
<context>
    <name>HitList</name>
    <message>
        <source>stolen vehicle</source>
        <translation>被盗车辆</translation>
    </message>
    <message>
        <source>wanted</source>
        <translation>在逃通缉</translation>
    </message>
    <message>
        <source>key person</source>
        <translation>重点人员</translation>
    </message>
    <message>
        <source>unlicensed</source>
        <translation>无牌无证</translation>
    </message>
    <message>
        <source>fake plate</source>
        <translation>假套牌</translation>
    </message>
    <message>
        <source>other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>⚑ WATCHLIST: {0} hits to handle</source>
        <translation>⚑ 布控：{0} 条比中待处置</translation>
    </message>
    <message>
        <source> (the oldest {0} here)</source>
        <translation>（此处显示最早的 {0} 条）</translation>
    </message>
    <message>
        <source>EXACT</source>
        <translation>精确比中</translation>
    </message>
    <message>
        <source>POSSIBLE: look-alike</source>
        <translation>疑似：形近字符</translation>
    </message>
    <message>
        <source>POSSIBLE: pattern {0}</source>
        <translation>疑似：模糊号牌 {0}</translation>
    </message>
    <message>
        <source> of {0}</source>
        <translation>，对应 {0}</translation>
    </message>
    <message>
        <source>checkpoint {0}</source>
        <translation>卡口 {0}</translation>
    </message>
    <message>
        <source>read {0}, {1:.0f} %</source>
        <translation>识别 {0}，置信度 {1:.0f}%</translation>
    </message>
    <message>
        <source>nearest available: {0}</source>
        <translation>最近空闲警力：{0}</translation>
    </message>
</context>
<context>
    <name>HitRow</name>
    <message>
        <source>Accept</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Accept: intercept</source>
        <translation>确认并拦截</translation>
    </message>
    <message>
        <source>Reject…</source>
        <translation>否决…</translation>
    </message>
    <message>
        <source>Show cameras</source>
        <translation>显示摄像头</translation>
    </message>
</context>
<context>
    <name>IncidentDetails</name>
    <message>
        <source>Close incident…</source>
        <translation>结案…</translation>
    </message>
    <message>
        <source>Select an incident on the map or in the queue.</source>
        <translation>请在地图或队列中选择警情。</translation>
    </message>
    <message>
        <source>Grid cell: {0}</source>
        <translation>网格：{0}</translation>
    </message>
    <message>
        <source>To dispatch: {0}</source>
        <translation>派警用时：{0}</translation>
    </message>
    <message>
        <source>Units: {0}</source>
        <translation>警力：{0}</translation>
    </message>
    <message>
        <source>To on scene: {0}</source>
        <translation>到场用时：{0}</translation>
    </message>
</context>
<context>
    <name>IncidentHistory</name>
    <message>
        <source>Phone (110/112)</source>
        <translation>电话（110/112）</translation>
    </message>
    <message>
        <source>One-key alarm app</source>
        <translation>一键报警App</translation>
    </message>
    <message>
        <source>Walk-in</source>
        <translation>来访报警</translation>
    </message>
    <message>
        <source>Radio</source>
        <translation>电台</translation>
    </message>
    <message>
        <source>Field unit</source>
        <translation>外勤警力</translation>
    </message>
    <message>
        <source>Camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Alarm from a device</source>
        <translation>设备报警</translation>
    </message>
    <message>
        <source>Search all incidents, closed too: id, address, kind, note, caller</source>
        <translation>搜索全部警情（含已结案）：编号、地址、类型、备注、报警人</translation>
    </message>
    <message>
        <source>Add a note (Enter)</source>
        <translation>添加备注（回车）</translation>
    </message>
    <message>
        <source>Not connected: the timeline loads when the link is back</source>
        <translation>未连接：链路恢复后加载时间线</translation>
    </message>
    <message>
        <source>Loading the history…</source>
        <translation>正在加载历史…</translation>
    </message>
    <message>
        <source>The history could not be read: {0}</source>
        <translation>无法读取历史：{0}</translation>
    </message>
    <message>
        <source>Select an incident to see its caller and timeline.</source>
        <translation>选择一个警情以查看报警人和时间线。</translation>
    </message>
    <message>
        <source>{0} · Caller: {1} · Call-back: {2} · Source: {3}</source>
        <translation>{0} · 报警人：{1} · 回拨号码：{2} · 来源：{3}</translation>
    </message>
    <message>
        <source>Created: {0}, P{1}, call from {2}</source>
        <translation>创建：{0}，P{1}，来自{2}</translation>
    </message>
    <message>
        <source>Created: {0}, P{1}</source>
        <translation>创建：{0}，P{1}</translation>
    </message>
    <message>
        <source>{0} assigned</source>
        <translation>{0} 已派遣</translation>
    </message>
    <message>
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <source>Note: {0}</source>
        <translation>备注：{0}</translation>
    </message>
    <message>
        <source>Closed: {0}</source>
        <translation>结案：{0}</translation>
    </message>
    <message>
        <source>No incident matches</source>
        <translation>没有匹配的警情</translation>
    </message>
</context>
<context>
    <name>IncidentQueueModel</name>
    <message>
        <source>P</source>
        <translation>级</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>No.</source>
        <translation>编号</translation>
    </message>
    <message>
        <source>Dispatch</source>
        <translation>派警用时</translation>
    </message>
    <message>
        <source>On scene</source>
        <translation>到场用时</translation>
    </message>
    <message>
        <source>Priority (P1 most urgent)</source>
        <translation>优先级（P1 最紧急）</translation>
    </message>
    <message>
        <source>Incident number</source>
        <translation>警情编号</translation>
    </message>
    <message>
        <source>Kind of incident</source>
        <translation>警情类型</translation>
    </message>
    <message>
        <source>Grid cell</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Time from the call to the first dispatch</source>
        <translation>从接警到首次派警的时间</translation>
    </message>
    <message>
        <source>Time from the first dispatch to the first unit on scene</source>
        <translation>从首次派警到首个警力到场的时间</translation>
    </message>
    <message>
        <source>Units assigned</source>
        <translation>已派警力</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>警力</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
</context>
<context>
    <name>InjectDialog</name>
    <message>
        <source>Add inject</source>
        <translation>添加注入</translation>
    </message>
    <message>
        <source>Send inject</source>
        <translation>发送注入</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <source>More args (JSON)</source>
        <translation>更多参数（JSON）</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>{0}: {1} is not a number</source>
        <translation>{0}：{1} 不是数字</translation>
    </message>
    <message>
        <source>More args: not JSON ({0})</source>
        <translation>更多参数：不是 JSON（{0}）</translation>
    </message>
    <message>
        <source>More args: must be a JSON object ({...})</source>
        <translation>更多参数：必须是 JSON 对象（{...}）</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>正在检查…</translation>
    </message>
</context>
<context>
    <name>JoinExerciseDialog</name>
    <message>
        <source>Join an exercise</source>
        <translation>加入演练</translation>
    </message>
    <message>
        <source>e.g. night-shift-1</source>
        <translation>例如 night-shift-1</translation>
    </message>
    <message>
        <source>Exercise</source>
        <translation>演练</translation>
    </message>
    <message>
        <source>An exercise&apos;s name is 1-64 letters, digits, &apos;-&apos;, &apos;_&apos; or &apos;.&apos;</source>
        <translation>演练名称为 1-64 个字母、数字、“-”、“_”或“.”</translation>
    </message>
</context>
<context>
    <name>LinkBanner</name>
    <message>
        <source>⚠ NO LINK TO THE DISPATCH SERVER since {0} ({1}): {2}</source>
        <translation>⚠ 与调度服务器的连接已中断，自 {0} 起（{1}）：{2}</translation>
    </message>
    <message>
        <source>The console does not retry: start it again with a valid sign-in.</source>
        <translation>控制台不会重试：请使用有效凭据重新启动。</translation>
    </message>
    <message>
        <source>Reconnecting… The map shows the last known state; nothing you do is sent.</source>
        <translation>正在重新连接… 地图显示的是最后已知状态；您的操作不会发送。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>OneMap — dispatch console</source>
        <translation>一张图 — 调度台</translation>
    </message>
    <message>
        <source>Incident queue</source>
        <translation>警情队列</translation>
    </message>
    <message>
        <source>Incident details</source>
        <translation>警情详情</translation>
    </message>
    <message>
        <source>Incident history</source>
        <translation>警情历史</translation>
    </message>
    <message>
        <source>Unit board</source>
        <translation>警力看板</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Messages</source>
        <translation>消息</translation>
    </message>
    <message>
        <source>assign P-03 I12 · status P-03 enroute · close I12 · new fire 1 @street · find …</source>
        <translation>派 P-03 I12 · 状态 P-03 enroute · 结案 I12 · 新建 fire 1 @街道 · 查找 …</translation>
    </message>
    <message>
        <source>Command line</source>
        <translation>命令行</translation>
    </message>
    <message>
        <source>Command: </source>
        <translation>命令：</translation>
    </message>
    <message>
        <source>Server: {0}</source>
        <translation>服务器：{0}</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Fit the city</source>
        <translation>显示全城</translation>
    </message>
    <message>
        <source>Grid cells show</source>
        <translation>网格显示</translation>
    </message>
    <message>
        <source>Open incidents</source>
        <translation>未结警情</translation>
    </message>
    <message>
        <source>Camera online rate</source>
        <translation>摄像头在线率</translation>
    </message>
    <message>
        <source>Vi&amp;deo</source>
        <translation>视频(&amp;D)</translation>
    </message>
    <message>
        <source>Open a video wall</source>
        <translation>打开视频墙</translation>
    </message>
    <message>
        <source>Fill a wall with the cameras nearest the incident</source>
        <translation>用警情附近的摄像头填充视频墙</translation>
    </message>
    <message>
        <source>&amp;Settings</source>
        <translation>设置(&amp;S)</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation>跟随系统</translation>
    </message>
    <message>
        <source>Overdue threshold…</source>
        <translation>超时阈值…</translation>
    </message>
    <message>
        <source>Alert volume…</source>
        <translation>提示音音量…</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>&amp;Incident</source>
        <translation>警情(&amp;I)</translation>
    </message>
    <message>
        <source>New incident…</source>
        <translation>新建警情…</translation>
    </message>
    <message>
        <source>&amp;Unit</source>
        <translation>警力(&amp;U)</translation>
    </message>
    <message>
        <source>Selected unit: {0}</source>
        <translation>所选警力：{0}</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>Command line and shortcuts</source>
        <translation>命令行与快捷键</translation>
    </message>
    <message>
        <source>About OneMap</source>
        <translation>关于 OneMap</translation>
    </message>
    <message>
        <source>OneMap dispatch console. One map of cameras, checkpoints, grid cells, units and incidents; video walls; dispatch through one server that every console follows.</source>
        <translation>OneMap 调度控制台。一张图展示摄像头、卡口卡点、网格、警力和警情；视频墙；通过所有控制台同步的同一服务器进行调度。</translation>
    </message>
    <message>
        <source>&lt;b&gt;Command line&lt;/b&gt; (Ctrl+L)&lt;br&gt;&lt;tt&gt;new KIND PRIORITY @PLACE [note]&lt;/tt&gt; — a new incident (e.g. &lt;tt&gt;new fire 1 @Mannerheimintie 5&lt;/tt&gt;)&lt;br&gt;&lt;tt&gt;assign UNIT INCIDENT&lt;/tt&gt; — dispatch a unit (e.g. &lt;tt&gt;assign P-03 I12&lt;/tt&gt;)&lt;br&gt;&lt;tt&gt;status UNIT STATUS&lt;/tt&gt; — enroute, onscene, available, busy, offduty&lt;br&gt;&lt;tt&gt;close INCIDENT CODE [note]&lt;/tt&gt; — close with a disposition code (Enter again confirms); &lt;tt&gt;close INCIDENT&lt;/tt&gt; opens the close dialog&lt;br&gt;&lt;tt&gt;find UNIT | INCIDENT | PLACE&lt;/tt&gt; — show it on the map&lt;br&gt;&lt;br&gt;&lt;b&gt;Shortcuts&lt;/b&gt;&lt;br&gt;Ctrl+L command line · Ctrl+N new incident · Home fit the city · arrow keys pan · +/− zoom · F1 this help · Ctrl+Q quit&lt;br&gt;F5 en route · F6 on scene · F7 available · F8 busy — for the selected unit&lt;br&gt;Drag a unit onto an incident (map or queue) to dispatch it; Ctrl-click several on the unit board to drag them together. Right-click a unit for its status, the map for a new incident.</source>
        <translation>&lt;b&gt;命令行&lt;/b&gt;（Ctrl+L）&lt;br&gt;&lt;tt&gt;new 类型 优先级 @地点 [备注]&lt;/tt&gt; — 新建警情（例如 &lt;tt&gt;new fire 1 @Mannerheimintie 5&lt;/tt&gt;）&lt;br&gt;&lt;tt&gt;assign 警力 警情&lt;/tt&gt; — 派遣警力（例如 &lt;tt&gt;assign P-03 I12&lt;/tt&gt;）&lt;br&gt;&lt;tt&gt;status 警力 状态&lt;/tt&gt; — enroute、onscene、available、busy、offduty&lt;br&gt;&lt;tt&gt;close 警情 代码 [备注]&lt;/tt&gt; — 以处置结果代码结案（再按 Enter 确认）；&lt;tt&gt;close 警情&lt;/tt&gt; 打开结案对话框&lt;br&gt;&lt;tt&gt;find 警力 | 警情 | 地点&lt;/tt&gt; — 在地图上显示&lt;br&gt;&lt;br&gt;&lt;b&gt;快捷键&lt;/b&gt;&lt;br&gt;Ctrl+L 命令行 · Ctrl+N 新建警情 · Home 显示全城 · 方向键平移 · +/− 缩放 · F1 本帮助 · Ctrl+Q 退出&lt;br&gt;F5 在途 · F6 到场 · F7 空闲 · F8 忙碌 — 作用于所选警力&lt;br&gt;将警力拖到警情上（地图或队列）即可派遣；在警力面板中按住 Ctrl 点选多个可一起拖动。右键警力可设置状态，右键地图可新建警情。</translation>
    </message>
    <message>
        <source>Alert volume</source>
        <translation>提示音音量</translation>
    </message>
    <message>
        <source>Volume of alert tones (0 = silent):</source>
        <translation>提示音音量（0 = 静音）：</translation>
    </message>
    <message>
        <source>Overdue threshold</source>
        <translation>超时阈值</translation>
    </message>
    <message>
        <source>Minutes from call to first dispatch:</source>
        <translation>从接警到首次派警的分钟数：</translation>
    </message>
    <message>
        <source>The link to the server is back after {0}: the map is current again</source>
        <translation>与服务器的连接在 {0} 后恢复：地图已是最新</translation>
    </message>
    <message>
        <source>The link to the server is lost: {0}</source>
        <translation>与服务器的连接已中断：{0}</translation>
    </message>
    <message>
        <source>Created {0}: {1} {2}</source>
        <translation>已新建警情 {0}：{1} {2}</translation>
    </message>
    <message>
        <source>OneMap — {0} ({1})</source>
        <translation>一张图 — {0}（{1}）</translation>
    </message>
    <message>
        <source>New P{0} {1}: {2}</source>
        <translation>新 P{0} {1}：{2}</translation>
    </message>
    <message>
        <source>Cameras: {0} online of {1} observed ({2:.1%}), {3} unknown</source>
        <translation>摄像头：已观测 {1} 个，在线 {0} 个（{2:.1%}），未知 {3} 个</translation>
    </message>
    <message>
        <source>Cameras: none observed yet, {0} unknown</source>
        <translation>摄像头：尚无观测，未知 {0} 个</translation>
    </message>
    <message>
        <source>% cameras online</source>
        <translation>% 摄像头在线</translation>
    </message>
    <message>
        <source>open incidents</source>
        <translation>未结警情</translation>
    </message>
    <message>
        <source>OneMap — video wall</source>
        <translation>一张图 — 视频墙</translation>
    </message>
    <message>
        <source>Field devices</source>
        <translation>外勤设备</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Grid cases</source>
        <translation>网格事件</translation>
    </message>
    <message>
        <source>Case details</source>
        <translation>事件详情</translation>
    </message>
    <message>
        <source>Open grid cases</source>
        <translation>未结网格事件</translation>
    </message>
    <message>
        <source>Case closure rate this month</source>
        <translation>本月结案率</translation>
    </message>
    <message>
        <source>On-time case closure rate this month</source>
        <translation>本月按期结案率</translation>
    </message>
    <message>
        <source>Put an alarm&apos;s cameras on the wall automatically</source>
        <translation>自动将报警附近的摄像头上墙</translation>
    </message>
    <message>
        <source>New grid case…</source>
        <translation>新建网格事件…</translation>
    </message>
    <message>
        <source>Watchlist…</source>
        <translation>布控名单…</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Replay…</source>
        <translation>回放…</translation>
    </message>
    <message>
        <source>Join an exercise…</source>
        <translation>加入演练…</translation>
    </message>
    <message>
        <source>Statistics…</source>
        <translation>统计…</translation>
    </message>
    <message>
        <source>Field device {0} heard: attach it to a unit (Field devices)</source>
        <translation>收到外勤设备 {0}：请将其关联到单元（外勤设备）</translation>
    </message>
    <message>
        <source>open grid cases</source>
        <translation>未结网格事件</translation>
    </message>
    <message>
        <source>% of cases due closed, {0}</source>
        <translation>% 结案率（应结案事件中已结案），{0}</translation>
    </message>
    <message>
        <source>% of cases due closed on time, {0}</source>
        <translation>% 按期结案率（应结案事件中按期结案），{0}</translation>
    </message>
    <message>
        <source>Select an incident first: the wall fills with the cameras nearest to it.</source>
        <translation>请先选择警情：视频墙将显示离它最近的摄像头。</translation>
    </message>
    <message>
        <source>grid cell {0}</source>
        <translation>网格 {0}</translation>
    </message>
    <message>
        <source>ALARM {0}: {1} from device {2}, {3}</source>
        <translation>报警 {0}：设备 {2} 发出{1}报警，{3}</translation>
    </message>
    <message>
        <source>Alarm {0} has not been acknowledged for {1} s</source>
        <translation>报警 {0} 已 {1} 秒无人确认</translation>
    </message>
    <message>
        <source>WATCHLIST HIT {0}: {1} at checkpoint {2} ({3})</source>
        <translation>布控比中 {0}：{1}，卡口 {2}（{3}）</translation>
    </message>
    <message>
        <source>Hit {0} has no camera near its checkpoint that is not offline</source>
        <translation>比中 {0} 的卡口附近没有未离线的摄像头</translation>
    </message>
    <message>
        <source>Alarm {0} has no camera near it that is not offline</source>
        <translation>报警 {0} 附近没有未离线的摄像头</translation>
    </message>
    <message>
        <source>Alarm {0}: device {1}</source>
        <translation>报警 {0}：设备 {1}</translation>
    </message>
    <message>
        <source>{0} is overdue</source>
        <translation>{0} 已超时</translation>
    </message>
    <message>
        <source>This is a replay: nothing is sent</source>
        <translation>这是回放：不发送任何指令</translation>
    </message>
    <message>
        <source>Not connected to the server: the {0} was not sent</source>
        <translation>未连接服务器：{0}未发送</translation>
    </message>
    <message>
        <source>assignment</source>
        <translation>派遣</translation>
    </message>
    <message>
        <source>status change</source>
        <translation>状态变更</translation>
    </message>
    <message>
        <source>new incident</source>
        <translation>新警情</translation>
    </message>
    <message>
        <source>closing</source>
        <translation>结案</translation>
    </message>
    <message>
        <source>note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>camera report</source>
        <translation>摄像头报告</translation>
    </message>
    <message>
        <source>acknowledgement of an alarm</source>
        <translation>报警确认</translation>
    </message>
    <message>
        <source>attachment of a device</source>
        <translation>设备关联</translation>
    </message>
    <message>
        <source>incident from an alarm</source>
        <translation>报警转警情</translation>
    </message>
    <message>
        <source>false alarm</source>
        <translation>误报</translation>
    </message>
    <message>
        <source>new grid case</source>
        <translation>新网格事件</translation>
    </message>
    <message>
        <source>command</source>
        <translation>指令</translation>
    </message>
    <message>
        <source>detachment of a device</source>
        <translation>设备解除关联</translation>
    </message>
    <message>
        <source>step of a grid case</source>
        <translation>网格事件处置环节</translation>
    </message>
    <message>
        <source>{0} assigned to {1}</source>
        <translation>{0} 已派往 {1}</translation>
    </message>
    <message>
        <source>{0} is {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <source>{0} closed</source>
        <translation>{0} 已结案</translation>
    </message>
    <message>
        <source>Alarm {0} acknowledged</source>
        <translation>报警 {0} 已确认</translation>
    </message>
    <message>
        <source>Alarm {0} is incident {1}</source>
        <translation>报警 {0} 已转为警情 {1}</translation>
    </message>
    <message>
        <source>Alarm {0} closed as false</source>
        <translation>报警 {0} 已作为误报关闭</translation>
    </message>
    <message>
        <source>Reported grid case {0}</source>
        <translation>已上报网格事件 {0}</translation>
    </message>
    <message>
        <source>Case {0}: {1}</source>
        <translation>事件 {0}：{1}</translation>
    </message>
    <message>
        <source> (done before the link fell; not done twice)</source>
        <translation>（连接中断前已执行，不会重复执行）</translation>
    </message>
    <message>
        <source>Not possible now</source>
        <translation>现在无法执行</translation>
    </message>
    <message>
        <source>Not allowed for your role</source>
        <translation>您的角色无权操作</translation>
    </message>
    <message>
        <source>Not allowed in this state</source>
        <translation>当前状态不允许</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>未找到</translation>
    </message>
    <message>
        <source>Invalid</source>
        <translation>无效</translation>
    </message>
    <message>
        <source>Too many commands</source>
        <translation>命令过多</translation>
    </message>
    <message>
        <source>Connection lost</source>
        <translation>连接中断</translation>
    </message>
    <message>
        <source>unit {0} is {1}{2}, not available</source>
        <translation>警力 {0} {1}{2}，不空闲</translation>
    </message>
    <message>
        <source>case {0} is {1} now</source>
        <translation>事件 {0} 当前状态为{1}</translation>
    </message>
    <message>
        <source>Recommended for {0}: {1}</source>
        <translation>{0} 推荐：{1}</translation>
    </message>
    <message>
        <source>Select a unit first (on the map or the unit board).</source>
        <translation>请先选择警力（在地图或警力面板上）。</translation>
    </message>
    <message>
        <source>Set {0}</source>
        <translation>设为{0}</translation>
    </message>
    <message>
        <source>Stop following</source>
        <translation>停止跟随</translation>
    </message>
    <message>
        <source>Follow on the map</source>
        <translation>在地图上跟随</translation>
    </message>
    <message>
        <source>Assign to {0}</source>
        <translation>派往 {0}</translation>
    </message>
    <message>
        <source>New incident here…</source>
        <translation>在此新建警情…</translation>
    </message>
    <message>
        <source>New grid case here…</source>
        <translation>在此新建网格事件…</translation>
    </message>
    <message>
        <source>Close {0} as {1}? Enter to confirm, Esc to cancel</source>
        <translation>以“{1}”结案 {0}？按 Enter 确认，按 Esc 取消</translation>
    </message>
    <message>
        <source>Not closed: {0} stays open</source>
        <translation>未结案：{0} 仍在处理中</translation>
    </message>
    <message>
        <source>→ {0} — {1} · grid cell {2}</source>
        <translation>→ {0} — {1} · 网格 {2}</translation>
    </message>
    <message>
        <source>Following {0}: {1}{2}{3}</source>
        <translation>正在跟随 {0}：{1}{2}{3}</translation>
    </message>
</context>
<context>
    <name>NeedsLabel</name>
    <message>
        <source>{0} {1} of {2}</source>
        <translation>{0} {1}/{2}</translation>
    </message>
    <message>
        <source>Needs: {0}</source>
        <translation>所需警力：{0}</translation>
    </message>
</context>
<context>
    <name>NewCaseDialog</name>
    <message>
        <source>New grid case</source>
        <translation>新建网格事件</translation>
    </message>
    <message>
        <source>lon, lat — or an address, a place, a street</source>
        <translation>经度, 纬度 — 或地址、地点、街道</translation>
    </message>
    <message>
        <source>photo URLs, one a line (http or https)</source>
        <translation>照片网址，每行一个（http 或 https）</translation>
    </message>
    <message>
        <source>Report</source>
        <translation>上报</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>事项类别</translation>
    </message>
    <message>
        <source>Place</source>
        <translation>地点</translation>
    </message>
    <message>
        <source>What is wrong</source>
        <translation>问题描述</translation>
    </message>
    <message>
        <source>Photos</source>
        <translation>照片</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>举报人</translation>
    </message>
    <message>
        <source>Call-back number</source>
        <translation>回拨号码</translation>
    </message>
    <message>
        <source>Not a place of the city yet</source>
        <translation>尚未定位到本城市的地点</translation>
    </message>
    <message>
        <source>{0}{1:.5f}, {2:.5f} · grid cell {3}</source>
        <translation>{0}{1:.5f}, {2:.5f} · 网格 {3}</translation>
    </message>
    <message>
        <source>none: outside the grid</source>
        <translation>无：在网格范围之外</translation>
    </message>
    <message>
        <source>Give the place as lon, lat or an address, place or street of the city.</source>
        <translation>请以经度, 纬度或本城市的地址、地点或街道给出位置。</translation>
    </message>
    <message>
        <source>Say what is wrong.</source>
        <translation>请描述问题。</translation>
    </message>
</context>
<context>
    <name>NewIncidentDialog</name>
    <message>
        <source>New incident</source>
        <translation>新建警情</translation>
    </message>
    <message>
        <source>1 is the most urgent</source>
        <translation>1 为最紧急</translation>
    </message>
    <message>
        <source>lon, lat — or an address, a place, a street, or A &amp; B</source>
        <translation>经度, 纬度 — 或地址、地点、街道，或 A &amp; B</translation>
    </message>
    <message>
        <source>(not given)</source>
        <translation>（未提供）</translation>
    </message>
    <message>
        <source>e.g. +86 138 0013 8000</source>
        <translation>例如 +86 138 0013 8000</translation>
    </message>
    <message>
        <source>Create</source>
        <translation>创建</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>优先级</translation>
    </message>
    <message>
        <source>Place</source>
        <translation>地点</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Caller</source>
        <translation>报警人</translation>
    </message>
    <message>
        <source>Call-back number</source>
        <translation>回拨号码</translation>
    </message>
    <message>
        <source>map point, {0:.0f} m from it</source>
        <translation>地图点，距其 {0:.0f} 米</translation>
    </message>
    <message>
        <source>coordinates</source>
        <translation>坐标</translation>
    </message>
    <message>
        <source>Not a place yet</source>
        <translation>尚未定位</translation>
    </message>
    <message>
        <source>No place called {0}. Closest: {1}</source>
        <translation>没有名为 {0} 的地点。最接近：{1}</translation>
    </message>
    <message>
        <source>{0}{1:.5f}, {2:.5f} · grid cell {3}</source>
        <translation>{0}{1:.5f}, {2:.5f} · 网格 {3}</translation>
    </message>
    <message>
        <source>Possible duplicate of {0}, {1:.0f} m, {2:.0f} min ago</source>
        <translation>可能与 {0} 重复，相距 {1:.0f} 米，{2:.0f} 分钟前</translation>
    </message>
    <message>
        <source>Give the place as lon, lat or an address, place or street of the city.</source>
        <translation>请以经度, 纬度或本城市的地址、地点或街道给出位置。</translation>
    </message>
    <message>
        <source>address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>place</source>
        <translation>地点</translation>
    </message>
    <message>
        <source>intersection</source>
        <translation>路口</translation>
    </message>
    <message>
        <source>interpolated between {0} and {1}, {2:.0f} m apart</source>
        <translation>在 {0} 与 {1} 之间插值，两者相距 {2:.0f} 米</translation>
    </message>
    <message>
        <source>street only: centre of a {0:.1f} km street</source>
        <translation>仅街道：一条 {0:.1f} 公里街道的中点</translation>
    </message>
    <message>
        <source>street only</source>
        <translation>仅街道</translation>
    </message>
    <message>
        <source>no number {0} on this street; {1}</source>
        <translation>该街道没有 {0} 号；{1}</translation>
    </message>
</context>
<context>
    <name>RecommendedUnits</name>
    <message>
        <source>Recommended units</source>
        <translation>推荐警力</translation>
    </message>
    <message>
        <source>The ranking changed: the order follows when the pointer leaves</source>
        <translation>排名已变化：鼠标移开后按新顺序排列</translation>
    </message>
    <message>
        <source>The list changed just before your click: nothing was assigned. Check the unit and click again.</source>
        <translation>点击前列表刚刚变化：未派遣任何警力。请核对警力后再点击。</translation>
    </message>
    <message>
        <source>Assign the run card: {0}</source>
        <translation>按出警方案派遣：{0}</translation>
    </message>
    <message>
        <source>{0} — no longer available</source>
        <translation>{0} — 已不可用</translation>
    </message>
    <message>
        <source>{0}. Assign {1} — {2:.1f} km, ETA {3}</source>
        <translation>{0}. 派遣 {1} — {2:.1f} 公里，预计 {3}</translation>
    </message>
    <message>
        <source>Straight line {0:.0f} m; by street {1}</source>
        <translation>直线 {0:.0f} 米；道路 {1}</translation>
    </message>
</context>
<context>
    <name>ReplayControls</name>
    <message>
        <source>−15 min</source>
        <translation>−15 分</translation>
    </message>
    <message>
        <source>Back 15 minutes</source>
        <translation>后退 15 分钟</translation>
    </message>
    <message>
        <source>−1 min</source>
        <translation>−1 分</translation>
    </message>
    <message>
        <source>Back 1 minute</source>
        <translation>后退 1 分钟</translation>
    </message>
    <message>
        <source>−15 s</source>
        <translation>−15 秒</translation>
    </message>
    <message>
        <source>Back 15 seconds</source>
        <translation>后退 15 秒</translation>
    </message>
    <message>
        <source>+15 s</source>
        <translation>+15 秒</translation>
    </message>
    <message>
        <source>Forward 15 seconds</source>
        <translation>前进 15 秒</translation>
    </message>
    <message>
        <source>+1 min</source>
        <translation>+1 分</translation>
    </message>
    <message>
        <source>Forward 1 minute</source>
        <translation>前进 1 分钟</translation>
    </message>
    <message>
        <source>+15 min</source>
        <translation>+15 分</translation>
    </message>
    <message>
        <source>Forward 15 minutes</source>
        <translation>前进 15 分钟</translation>
    </message>
    <message>
        <source>Previous event</source>
        <translation>上一事件</translation>
    </message>
    <message>
        <source>Next event</source>
        <translation>下一事件</translation>
    </message>
    <message>
        <source>Play or pause the replay</source>
        <translation>播放或暂停回放</translation>
    </message>
    <message>
        <source>Replay speed: pick one or type a value from {0} to {1}</source>
        <translation>回放速度：选择一项或输入 {0} 至 {1} 之间的值</translation>
    </message>
    <message>
        <source>Loop</source>
        <translation>循环</translation>
    </message>
    <message>
        <source>Skip quiet</source>
        <translation>跳过空闲</translation>
    </message>
    <message>
        <source>Skip stretches of over {0} min without an incident or status event</source>
        <translation>跳过超过 {0} 分钟无警情或状态事件的时段</translation>
    </message>
    <message>
        <source>REPLAY {0}</source>
        <translation>回放 {0}</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Play</source>
        <translation>播放</translation>
    </message>
    <message>
        <source>Loop over the selected span</source>
        <translation>在所选时段内循环</translation>
    </message>
    <message>
        <source>Select a span on the timeline first (Shift+drag, or drag on the strip under the bars)</source>
        <translation>请先在时间轴上选择时段（按住 Shift 拖动，或在柱状图下方条带拖动）</translation>
    </message>
    <message>
        <source>The selection holds no time of the replay to loop over</source>
        <translation>所选范围不含可循环的回放时间</translation>
    </message>
    <message>
        <source>No later event</source>
        <translation>没有更晚的事件</translation>
    </message>
    <message>
        <source>No earlier event</source>
        <translation>没有更早的事件</translation>
    </message>
    <message>
        <source>A speed is a number from {0} to {1}</source>
        <translation>速度须为 {0} 至 {1} 之间的数字</translation>
    </message>
</context>
<context>
    <name>ReplayDialog</name>
    <message>
        <source>Replay</source>
        <translation>回放</translation>
    </message>
    <message>
        <source>From</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>To</source>
        <translation>结束</translation>
    </message>
</context>
<context>
    <name>ReplayWindow</name>
    <message>
        <source>Opening the replay…</source>
        <translation>正在打开回放…</translation>
    </message>
    <message>
        <source>The replay cannot go on: {0}</source>
        <translation>回放无法继续：{0}</translation>
    </message>
    <message>
        <source>REPLAY · {0} · {1} · nothing here is live</source>
        <translation>回放 · {0} · {1} · 此处内容均非实时</translation>
    </message>
    <message>
        <source>reading the state at the start</source>
        <translation>正在读取开始时的状态</translation>
    </message>
    <message>
        <source>reading incidents and unit status changes</source>
        <translation>正在读取警情和单位状态变化</translation>
    </message>
    <message>
        <source>reading unit positions</source>
        <translation>正在读取单位位置</translation>
    </message>
    <message>
        <source>writing the report</source>
        <translation>正在写入报告</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>REPLAY · {0}</source>
        <translation>回放 · {0}</translation>
    </message>
    <message>
        <source>EXERCISE · {0} · a replayed drill</source>
        <translation>演练 · {0} · 演练回放</translation>
    </message>
    <message>
        <source>Timeline</source>
        <translation>时间轴</translation>
    </message>
    <message>
        <source>REPLAY {0} — OneMap — {1}</source>
        <translation>回放 {0} — OneMap — {1}</translation>
    </message>
    <message>
        <source>REPLAY {0} — OneMap map</source>
        <translation>回放 {0} — OneMap 地图</translation>
    </message>
    <message>
        <source>EXERCISE {0} · {1}</source>
        <translation>演练 {0} · {1}</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>Export the after-action report…</source>
        <translation>导出事后复盘报告…</translation>
    </message>
    <message>
        <source>Bookmark this instant…</source>
        <translation>为此时刻添加书签…</translation>
    </message>
    <message>
        <source>Map in a window of its own (other monitor)</source>
        <translation>地图单独成窗（另一显示器）</translation>
    </message>
    <message>
        <source>A replay of a file cannot add bookmarks: they are events of the server&apos;s log</source>
        <translation>文件回放不能添加书签：书签是服务器日志中的事件</translation>
    </message>
    <message>
        <source>REPLAY · the replay cannot go on: {0}</source>
        <translation>回放 · 回放无法继续：{0}</translation>
    </message>
    <message>
        <source>Bookmark</source>
        <translation>书签</translation>
    </message>
    <message>
        <source>Note for {0}:</source>
        <translation>{0} 的备注：</translation>
    </message>
    <message>
        <source>Export the after-action report into</source>
        <translation>将事后复盘报告导出到</translation>
    </message>
    <message>
        <source>Writing the after-action report…</source>
        <translation>正在生成事后复盘报告…</translation>
    </message>
    <message>
        <source>The report was not written: {0}</source>
        <translation>报告未生成：{0}</translation>
    </message>
    <message>
        <source>After-action report written to {0}</source>
        <translation>事后复盘报告已写入 {0}</translation>
    </message>
    <message>
        <source>The map is in its own window</source>
        <translation>地图已在单独窗口中</translation>
    </message>
</context>
<context>
    <name>StatisticsWindow</name>
    <message>
        <source>Day</source>
        <translation>日</translation>
    </message>
    <message>
        <source>Week</source>
        <translation>周</translation>
    </message>
    <message>
        <source>Month</source>
        <translation>月</translation>
    </message>
    <message>
        <source>Quarter</source>
        <translation>季</translation>
    </message>
    <message>
        <source>Year</source>
        <translation>年</translation>
    </message>
    <message>
        <source>Incidents by kind</source>
        <translation>警情（按类型）</translation>
    </message>
    <message>
        <source>Incidents by hour of day</source>
        <translation>警情（按时段）</translation>
    </message>
    <message>
        <source>Incidents by grid cell</source>
        <translation>警情（按网格）</translation>
    </message>
    <message>
        <source>Call to dispatch by priority</source>
        <translation>接警至派警用时（按优先级）</translation>
    </message>
    <message>
        <source>Dispatch to on scene by priority</source>
        <translation>派警至到场用时（按优先级）</translation>
    </message>
    <message>
        <source>Camera online rate by grid cell</source>
        <translation>摄像头在线率（按网格）</translation>
    </message>
    <message>
        <source>Cases reported by category</source>
        <translation>上报事件数（按事项类别）</translation>
    </message>
    <message>
        <source>结案率 and 按期结案率 by department</source>
        <translation>结案率与按期结案率（按责任部门）</translation>
    </message>
    <message>
        <source>Ratings entered</source>
        <translation>评价分布</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Call to dispatch p50</source>
        <translation>接警至派警 p50</translation>
    </message>
    <message>
        <source>Dispatch to on scene p50</source>
        <translation>派警至到场 p50</translation>
    </message>
    <message>
        <source>Camera online rate</source>
        <translation>摄像头在线率</translation>
    </message>
    <message>
        <source>Cases reported</source>
        <translation>上报事件数</translation>
    </message>
    <message>
        <source>结案率 closure rate</source>
        <translation>结案率</translation>
    </message>
    <message>
        <source>按期结案率 on-time rate</source>
        <translation>按期结案率</translation>
    </message>
    <message>
        <source>Mean rating</source>
        <translation>平均评价</translation>
    </message>
    <message>
        <source>reading the previous period</source>
        <translation>正在读取上期数据</translation>
    </message>
    <message>
        <source>reading the period</source>
        <translation>正在读取本期数据</translation>
    </message>
    <message>
        <source>writing the files</source>
        <translation>正在写入文件</translation>
    </message>
    <message>
        <source>done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>count</source>
        <translation>数量</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>%</source>
        <translation>%</translation>
    </message>
    <message>
        <source>Statistics</source>
        <translation>统计</translation>
    </message>
    <message>
        <source>live, exercise:NAME or history:NAME</source>
        <translation>live（实战）、exercise:名称（演练）或 history:名称（历史）</translation>
    </message>
    <message>
        <source>Last complete period</source>
        <translation>上一完整周期</translation>
    </message>
    <message>
        <source>Compute</source>
        <translation>计算</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Period</source>
        <translation>统计周期</translation>
    </message>
    <message>
        <source>Date in it</source>
        <translation>周期内日期</translation>
    </message>
    <message>
        <source>Namespace</source>
        <translation>命名空间</translation>
    </message>
    <message>
        <source>Choose a period and Compute</source>
        <translation>请选择统计周期并点击“计算”</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>图表</translation>
    </message>
    <message>
        <source>Tables</source>
        <translation>表格</translation>
    </message>
    <message>
        <source>Computing the statistics of {0}…</source>
        <translation>正在计算 {0} 的统计…</translation>
    </message>
    <message>
        <source>The statistics were not computed: {0}</source>
        <translation>统计未完成计算：{0}</translation>
    </message>
    <message>
        <source>Export the statistics into</source>
        <translation>将统计导出到</translation>
    </message>
    <message>
        <source>The statistics were not written: {0}</source>
        <translation>统计未写入：{0}</translation>
    </message>
    <message>
        <source>Statistics written to {0}</source>
        <translation>统计已写入 {0}</translation>
    </message>
    <message>
        <source>Writing the statistics…</source>
        <translation>正在写入统计…</translation>
    </message>
    <message>
        <source>{0} {1}: {2} to {3}, against {4}. Figures as known at each period&apos;s end.</source>
        <translation>{0} {1}：{2} 至 {3}，对比上期 {4}。数据以各统计周期结束时已知情况为准。</translation>
    </message>
    <message>
        <source>previous: {0}</source>
        <translation>上期：{0}</translation>
    </message>
</context>
<context>
    <name>Timeline</name>
    <message>
        <source>Bookmark…</source>
        <translation>书签…</translation>
    </message>
    <message>
        <source>Whole replay</source>
        <translation>整个回放</translation>
    </message>
    <message>
        <source>Zoom out to the whole replay (the wheel zooms, Shift+wheel pans)</source>
        <translation>缩小到整个回放（滚轮缩放，Shift+滚轮平移）</translation>
    </message>
    <message>
        <source>Bookmark the replayed time</source>
        <translation>为回放时刻添加书签</translation>
    </message>
</context>
<context>
    <name>TimelineCanvas</name>
    <message>
        <source>Drag here (or Shift+drag above) to select a span</source>
        <translation>在此拖动（或在上方按住 Shift 拖动）选择时段</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Unit status</source>
        <translation>单位状态</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Other</source>
        <translation>其他</translation>
    </message>
    <message>
        <source>Positions (own scale, peak {0})</source>
        <translation>位置（独立刻度，峰值 {0}）</translation>
    </message>
    <message>
        <source>A bar: {0} s; peak {1} events</source>
        <translation>每柱 {0} 秒；峰值 {1} 个事件</translation>
    </message>
    <message>
        <source>Bookmark at {0}: {1} ({2})</source>
        <translation>书签 {0}：{1}（{2}）</translation>
    </message>
    <message>
        <source>Incident {0} created at {1}</source>
        <translation>警情 {0} 于 {1} 创建</translation>
    </message>
    <message>
        <source>Incident {0} closed at {1}</source>
        <translation>警情 {0} 于 {1} 结案</translation>
    </message>
    <message>
        <source>{0}: incidents {1}, unit status {2}, cameras {3}, other {4}, positions {5}</source>
        <translation>{0}：警情 {1}，单位状态 {2}，摄像头 {3}，其他 {4}，位置 {5}</translation>
    </message>
    <message>
        <source>Bookmark at {0}…</source>
        <translation>在 {0} 添加书签…</translation>
    </message>
    <message>
        <source>Clear the selection</source>
        <translation>清除选择</translation>
    </message>
    <message>
        <source>Show the whole replay</source>
        <translation>显示整个回放</translation>
    </message>
</context>
<context>
    <name>TrainerPanel</name>
    <message>
        <source>EXERCISE {0} — trainer</source>
        <translation>演练 {0} — 培训员</translation>
    </message>
    <message>
        <source>EXERCISE · {0} · trainer&apos;s panel</source>
        <translation>演练 · {0} · 培训员面板</translation>
    </message>
    <message>
        <source>Start</source>
        <translation>开始</translation>
    </message>
    <message>
        <source>Pause</source>
        <translation>暂停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续</translation>
    </message>
    <message>
        <source>Set speed</source>
        <translation>设置速度</translation>
    </message>
    <message>
        <source>Fire now</source>
        <translation>立即触发</translation>
    </message>
    <message>
        <source>Add inject…</source>
        <translation>添加注入…</translation>
    </message>
    <message>
        <source>Score…</source>
        <translation>评分…</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>速度</translation>
    </message>
    <message>
        <source>Event Number</source>
        <translation>事件编号</translation>
    </message>
    <message>
        <source>Scenario Time</source>
        <translation>情景时间</translation>
    </message>
    <message>
        <source>Event Type</source>
        <translation>事件类型</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>命令</translation>
    </message>
    <message>
        <source>Message/To</source>
        <translation>消息/对象</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Not scored yet</source>
        <translation>尚未评分</translation>
    </message>
    <message>
        <source>What the trainees do (newest first)</source>
        <translation>学员操作（最新在前）</translation>
    </message>
    <message>
        <source>Score</source>
        <translation>评分</translation>
    </message>
    <message>
        <source>Runner output</source>
        <translation>运行器输出</translation>
    </message>
    <message>
        <source>Server: {0} {1}</source>
        <translation>服务器：{0} {1}</translation>
    </message>
    <message>
        <source>The MSEL cannot be used: {0}</source>
        <translation>无法使用该 MSEL：{0}</translation>
    </message>
    <message>
        <source>Incident {0} created: {1}, priority {2}, {3}</source>
        <translation>已创建事件 {0}：{1}，优先级 {2}，{3}</translation>
    </message>
    <message>
        <source>{0} assigned {1} to {2}</source>
        <translation>{0} 将 {1} 指派至 {2}</translation>
    </message>
    <message>
        <source>Unit {0} is {1}</source>
        <translation>单位 {0} 状态：{1}</translation>
    </message>
    <message>
        <source>{0} noted on {1}: {2}</source>
        <translation>{0} 在 {1} 上备注：{2}</translation>
    </message>
    <message>
        <source>{0} closed {1} ({2})</source>
        <translation>{0} 关闭了 {1}（{2}）</translation>
    </message>
    <message>
        <source>Camera {0} is {1}</source>
        <translation>摄像头 {0} 状态：{1}</translation>
    </message>
    <message>
        <source>Drill not started</source>
        <translation>演练未开始</translation>
    </message>
    <message>
        <source>Drill time {0} · speed {1}× · {2}</source>
        <translation>演练时间 {0} · 速度 {1}× · {2}</translation>
    </message>
    <message>
        <source>running</source>
        <translation>运行中</translation>
    </message>
    <message>
        <source>paused</source>
        <translation>已暂停</translation>
    </message>
    <message>
        <source>Unplanned inject</source>
        <translation>计划外注入</translation>
    </message>
    <message>
        <source>asked</source>
        <translation>已请求</translation>
    </message>
    <message>
        <source>fire now asked</source>
        <translation>已请求立即触发</translation>
    </message>
    <message>
        <source>a unit of kind {0} assigned to event {1} within {2} s</source>
        <translation>{2} 秒内向事件 {1} 指派一个 {0} 类单位</translation>
    </message>
    <message>
        <source>pending</source>
        <translation>待定</translation>
    </message>
    <message>
        <source>fire now</source>
        <translation>立即触发</translation>
    </message>
    <message>
        <source>by plan</source>
        <translation>按计划</translation>
    </message>
    <message>
        <source>fired at {0} ({1})</source>
        <translation>已于 {0} 触发（{1}）</translation>
    </message>
    <message>
        <source>met at {0} ({1})</source>
        <translation>已于 {0} 达成（{1}）</translation>
    </message>
    <message>
        <source>late at {0} ({1})</source>
        <translation>于 {0} 迟到（{1}）</translation>
    </message>
    <message>
        <source>missed (by {0})</source>
        <translation>未达成（截止 {0}）</translation>
    </message>
    <message>
        <source>pending (by {0})</source>
        <translation>待定（截止 {0}）</translation>
    </message>
    <message>
        <source>Not connected: {0} not sent</source>
        <translation>未连接：{0} 未发送</translation>
    </message>
    <message>
        <source>{0} done</source>
        <translation>{0} 已完成</translation>
    </message>
    <message>
        <source>{0} refused: {1}: {2}</source>
        <translation>{0} 被拒绝：{1}：{2}</translation>
    </message>
    <message>
        <source>Not connected yet</source>
        <translation>尚未连接</translation>
    </message>
    <message>
        <source>The drill runs already: the panel follows it</source>
        <translation>演练已在运行：面板跟随显示</translation>
    </message>
    <message>
        <source>attached to {0} (started before)</source>
        <translation>已连接到 {0}（此前已开始）</translation>
    </message>
    <message>
        <source>runner exited with code {0}</source>
        <translation>运行器退出，代码 {0}</translation>
    </message>
    <message>
        <source>Select an inject row of the MSEL to fire it now</source>
        <translation>请选择 MSEL 中的注入行以立即触发</translation>
    </message>
    <message>
        <source>The city is not loaded yet</source>
        <translation>城市尚未加载</translation>
    </message>
    <message>
        <source>Not connected: nothing sent</source>
        <translation>未连接：未发送任何内容</translation>
    </message>
    <message>
        <source>Folder for the scorecard</source>
        <translation>评分表文件夹</translation>
    </message>
    <message>
        <source>Nothing to score: the drill has not started</source>
        <translation>无可评分内容：演练尚未开始</translation>
    </message>
    <message>
        <source>Scoring…</source>
        <translation>正在评分…</translation>
    </message>
    <message>
        <source>Scoring failed: {0}</source>
        <translation>评分失败：{0}</translation>
    </message>
    <message>
        <source>met</source>
        <translation>达成</translation>
    </message>
    <message>
        <source>not met</source>
        <translation>未达成</translation>
    </message>
    <message>
        <source>{0} ({1} {2}): {3} of {4} calls within {5} s, target {6} %: {7}</source>
        <translation>{0}（{1} {2}）：{4} 个呼叫中 {3} 在 {5} 秒内，目标 {6} %：{7}</translation>
    </message>
    <message>
        <source>Written to {0}</source>
        <translation>已写入 {0}</translation>
    </message>
</context>
<context>
    <name>UnitBoard</name>
    <message>
        <source>By status</source>
        <translation>按状态</translation>
    </message>
    <message>
        <source>By station</source>
        <translation>按驻地</translation>
    </message>
    <message>
        <source>Unit</source>
        <translation>警力</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Incident</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类型</translation>
    </message>
    <message>
        <source>Station</source>
        <translation>驻地</translation>
    </message>
    <message>
        <source>{0}: {1}</source>
        <translation>{0}：{1}</translation>
    </message>
    <message>
        <source>{0} (stale)</source>
        <translation>{0}（位置过期）</translation>
    </message>
    <message>
        <source>position stale since {0}</source>
        <translation>位置自 {0} 起过期</translation>
    </message>
</context>
<context>
    <name>UnitKind</name>
    <message>
        <source>patrol car</source>
        <translation>巡逻车</translation>
    </message>
    <message>
        <source>traffic unit</source>
        <translation>交警车</translation>
    </message>
    <message>
        <source>fire engine</source>
        <translation>消防车</translation>
    </message>
    <message>
        <source>ambulance</source>
        <translation>救护车</translation>
    </message>
</context>
<context>
    <name>WatchlistDialog</name>
    <message>
        <source>Watchlist</source>
        <translation>布控名单</translation>
    </message>
    <message>
        <source>Entry</source>
        <translation>条目</translation>
    </message>
    <message>
        <source>Plate or pattern</source>
        <translation>号牌或模糊号牌</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>布控原因</translation>
    </message>
    <message>
        <source>Valid until</source>
        <translation>有效期至</translation>
    </message>
    <message>
        <source>Added by</source>
        <translation>添加人</translation>
    </message>
    <message>
        <source>why it comes off the list, e.g. the car was found</source>
        <translation>撤控原因，例如：车辆已找到</translation>
    </message>
    <message>
        <source>Remove the selected entry</source>
        <translation>撤控所选条目</translation>
    </message>
    <message>
        <source>粤S·12345, or with * for each unknown character: 粤S·123**</source>
        <translation>粤S·12345，未知字符用 * 表示：粤S·123**</translation>
    </message>
    <message>
        <source>why, and the case it belongs to</source>
        <translation>布控原因及所属案件</translation>
    </message>
    <message>
        <source>until</source>
        <translation>截至</translation>
    </message>
    <message>
        <source>Plate or pattern:</source>
        <translation>号牌或模糊号牌：</translation>
    </message>
    <message>
        <source>Category:</source>
        <translation>类别：</translation>
    </message>
    <message>
        <source>Reason:</source>
        <translation>原因：</translation>
    </message>
    <message>
        <source>Valid:</source>
        <translation>有效期：</translation>
    </message>
    <message>
        <source>Add to the watchlist</source>
        <translation>加入布控</translation>
    </message>
    <message>
        <source>open-ended</source>
        <translation>长期有效</translation>
    </message>
    <message>
        <source>Give the plate or pattern and the reason.</source>
        <translation>请填写号牌（或模糊号牌）和布控原因。</translation>
    </message>
    <message>
        <source>Sent: {0}</source>
        <translation>已发送：{0}</translation>
    </message>
    <message>
        <source>Select an entry and say why it comes off the list.</source>
        <translation>请选择条目并填写撤控原因。</translation>
    </message>
    <message>
        <source>Sent: remove {0}</source>
        <translation>已发送：撤控 {0}</translation>
    </message>
</context>
<context>
    <name>cases</name>
    <message>
        <source>{0} min</source>
        <translation>{0} 分钟</translation>
    </message>
    <message>
        <source>{0} h {1} min</source>
        <translation>{0} 小时 {1} 分钟</translation>
    </message>
    <message>
        <source>{0} d {1} h</source>
        <translation>{0} 天 {1} 小时</translation>
    </message>
</context>
<context>
    <name>map</name>
    <message>
        <source>Streets</source>
        <translation>街道</translation>
    </message>
    <message>
        <source>Grid cells</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>Incident heatmap</source>
        <translation>警情热力图</translation>
    </message>
    <message>
        <source>Patrol strength heatmap</source>
        <translation>巡逻警力热力图</translation>
    </message>
    <message>
        <source>Stations</source>
        <translation>驻地</translation>
    </message>
    <message>
        <source>Checkpoints</source>
        <translation>卡口卡点</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Incidents</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Unit trails</source>
        <translation>警力轨迹</translation>
    </message>
    <message>
        <source>Units</source>
        <translation>警力</translation>
    </message>
    <message>
        <source>Raster tiles</source>
        <translation>栅格瓦片</translation>
    </message>
    <message>
        <source>Alarms</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>Grid cases</source>
        <translation>网格事件</translation>
    </message>
    <message>
        <source>station</source>
        <translation>驻地</translation>
    </message>
    <message>
        <source>checkpoint</source>
        <translation>卡点</translation>
    </message>
    <message>
        <source>camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>online</source>
        <translation>在线</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>unknown</source>
        <translation>未知</translation>
    </message>
    <message>
        <source>no figures</source>
        <translation>无数据</translation>
    </message>
    <message>
        <source>卡口 bayonet</source>
        <translation>卡口</translation>
    </message>
    <message>
        <source>卡点 checkpoint</source>
        <translation>卡点</translation>
    </message>
    <message>
        <source>raised</source>
        <translation>未确认</translation>
    </message>
    <message>
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>overdue</source>
        <translation>超期</translation>
    </message>
    <message>
        <source>OFFLINE</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>state unknown</source>
        <translation>状态未知</translation>
    </message>
    <message>
        <source>streets</source>
        <translation>街道</translation>
    </message>
    <message>
        <source>areas</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>grid cells</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>stations</source>
        <translation>驻地</translation>
    </message>
    <message>
        <source>checkpoints</source>
        <translation>卡口卡点</translation>
    </message>
    <message>
        <source>cameras</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>units</source>
        <translation>警力</translation>
    </message>
    <message>
        <source>Grid {0}</source>
        <translation>网格 {0}</translation>
    </message>
    <message>
        <source>Camera {0}</source>
        <translation>摄像头 {0}</translation>
    </message>
    <message>
        <source>Police station {0}</source>
        <translation>派出所 {0}</translation>
    </message>
    <message>
        <source>Fire station {0}</source>
        <translation>消防站 {0}</translation>
    </message>
    <message>
        <source>Police station (placed)</source>
        <translation>派出所（系统放置）</translation>
    </message>
    <message>
        <source>Fire station (placed)</source>
        <translation>消防站（系统放置）</translation>
    </message>
    <message>
        <source>{0} bayonet</source>
        <translation>{0}卡口</translation>
    </message>
    <message>
        <source>{0} checkpoint</source>
        <translation>{0}卡点</translation>
    </message>
    <message>
        <source>{n} km</source>
        <translation>{n} 公里</translation>
    </message>
    <message>
        <source>{n} m</source>
        <translation>{n} 米</translation>
    </message>
    <message>
        <source>Last known state at {time} ({age} old): units and cameras are not being updated</source>
        <translation>最后已知状态 {time}（已过 {age}）：警力和摄像头未在更新</translation>
    </message>
    <message>
        <source>{n} min</source>
        <extracomment>a cell holding at least this many points is drawn as one bubble with a count at and above this scale every point is drawn on its own names are drawn next to symbols from this scale on above this scale the &quot;detailed&quot; symbols are used colours of cluster bubbles; cluster_colors picks one per cluster</extracomment>
        <translation>{n} 分钟</translation>
    </message>
    <message>
        <source>{n} h</source>
        <translation>{n} 小时</translation>
    </message>
    <message>
        <source>Building {what}…</source>
        <translation>正在构建{what}…</translation>
    </message>
    <message>
        <source>Reading {name}…</source>
        <translation>正在读取 {name}…</translation>
    </message>
    <message>
        <source>Could not load: {message}</source>
        <translation>无法加载：{message}</translation>
    </message>
    <message>
        <source>{count} {layer} — click to zoom in</source>
        <translation>{count} 个{layer} — 点击放大</translation>
    </message>
    <message>
        <source> · OVERDUE</source>
        <translation> · 已超期</translation>
    </message>
    <message>
        <source>Draw above the layer over it</source>
        <translation>移到上一图层之上</translation>
    </message>
    <message>
        <source>Draw below the layer under it</source>
        <translation>移到下一图层之下</translation>
    </message>
    <message>
        <source>Opacity</source>
        <translation>不透明度</translation>
    </message>
</context>
<context>
    <name>video</name>
    <message>
        <source>EXERCISE · {0}</source>
        <translation>演练 · {0}</translation>
    </message>
    <message>
        <source>NO SIGNAL</source>
        <translation>无信号</translation>
    </message>
    <message>
        <source>reconnecting automatically</source>
        <translation>正在自动重连</translation>
    </message>
    <message>
        <source>CONNECTING</source>
        <translation>正在连接</translation>
    </message>
    <message>
        <source>Drop a camera here</source>
        <translation>把摄像头拖到这里</translation>
    </message>
    <message>
        <source>no frame</source>
        <translation>无画面</translation>
    </message>
    <message>
        <source>last frame {0:.1f} s ago</source>
        <translation>最后一帧 {0:.1f} 秒前</translation>
    </message>
</context>
<context>
    <name>words</name>
    <message>
        <source>available</source>
        <translation>空闲</translation>
    </message>
    <message>
        <source>dispatched</source>
        <translation>已派遣</translation>
    </message>
    <message>
        <source>enroute</source>
        <translation>在途</translation>
    </message>
    <message>
        <source>onscene</source>
        <translation>到场</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>忙碌</translation>
    </message>
    <message>
        <source>offduty</source>
        <translation>下班</translation>
    </message>
    <message>
        <source>new</source>
        <translation>新警情</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>已结案</translation>
    </message>
    <message>
        <source>viewer</source>
        <translation>查看员</translation>
    </message>
    <message>
        <source>dispatcher</source>
        <translation>调度员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>值班长</translation>
    </message>
    <message>
        <source>feed</source>
        <translation>数据接入</translation>
    </message>
    <message>
        <source>trainer</source>
        <translation>教练员</translation>
    </message>
    <message>
        <source>theft</source>
        <translation>盗窃</translation>
    </message>
    <message>
        <source>burglary</source>
        <translation>入室盗窃</translation>
    </message>
    <message>
        <source>robbery</source>
        <translation>抢劫</translation>
    </message>
    <message>
        <source>assault</source>
        <translation>伤害</translation>
    </message>
    <message>
        <source>fight</source>
        <translation>打架斗殴</translation>
    </message>
    <message>
        <source>traffic accident</source>
        <translation>交通事故</translation>
    </message>
    <message>
        <source>fire</source>
        <translation>火警</translation>
    </message>
    <message>
        <source>medical</source>
        <translation>急救</translation>
    </message>
    <message>
        <source>disturbance</source>
        <translation>扰乱秩序</translation>
    </message>
    <message>
        <source>suspicious person</source>
        <translation>可疑人员</translation>
    </message>
    <message>
        <source>missing person</source>
        <translation>人员走失</translation>
    </message>
    <message>
        <source>domestic</source>
        <translation>家庭纠纷</translation>
    </message>
    <message>
        <source>alarm</source>
        <translation>报警</translation>
    </message>
    <message>
        <source>panic</source>
        <translation>一键求救</translation>
    </message>
    <message>
        <source>audio</source>
        <translation>音频</translation>
    </message>
    <message>
        <source>text</source>
        <translation>文字</translation>
    </message>
    <message>
        <source>video</source>
        <translation>视频</translation>
    </message>
    <message>
        <source>intrusion</source>
        <translation>入侵</translation>
    </message>
    <message>
        <source>radar</source>
        <translation>雷达</translation>
    </message>
    <message>
        <source>infrared</source>
        <translation>红外</translation>
    </message>
    <message>
        <source>fence</source>
        <translation>电子围栏</translation>
    </message>
    <message>
        <source>vibration</source>
        <translation>振动</translation>
    </message>
    <message>
        <source>reported</source>
        <translation>已上报</translation>
    </message>
    <message>
        <source>registered</source>
        <translation>已立案</translation>
    </message>
    <message>
        <source>in progress</source>
        <translation>处置中</translation>
    </message>
    <message>
        <source>handled</source>
        <translation>已处置</translation>
    </message>
    <message>
        <source>verified</source>
        <translation>已核查</translation>
    </message>
    <message>
        <source>returned</source>
        <translation>已退回</translation>
    </message>
    <message>
        <source>rejected</source>
        <translation>不予立案</translation>
    </message>
    <message>
        <source>started</source>
        <translation>开始处置</translation>
    </message>
    <message>
        <source>rated</source>
        <translation>已评价</translation>
    </message>
    <message>
        <source>verification failed</source>
        <translation>核查未通过</translation>
    </message>
    <message>
        <source>grid officer</source>
        <translation>网格员</translation>
    </message>
    <message>
        <source>hotline</source>
        <translation>热线</translation>
    </message>
    <message>
        <source>app</source>
        <translation>App</translation>
    </message>
    <message>
        <source>walk in</source>
        <translation>来访</translation>
    </message>
    <message>
        <source>camera</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>not a case</source>
        <translation>不属于受理事项</translation>
    </message>
    <message>
        <source>duplicate</source>
        <translation>重复上报</translation>
    </message>
    <message>
        <source>out of scope</source>
        <translation>超出受理范围</translation>
    </message>
    <message>
        <source>unfounded</source>
        <translation>情况不实</translation>
    </message>
    <message>
        <source>cell</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>community</source>
        <translation>社区</translation>
    </message>
    <message>
        <source>village</source>
        <translation>村</translation>
    </message>
    <message>
        <source>town</source>
        <translation>镇街</translation>
    </message>
    <message>
        <source>district</source>
        <translation>区县</translation>
    </message>
    <message>
        <source>city</source>
        <translation>市</translation>
    </message>
    <message>
        <source>grid</source>
        <translation>网格</translation>
    </message>
</context>
</TS>
