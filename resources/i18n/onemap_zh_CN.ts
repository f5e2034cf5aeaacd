<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="zh_CN">
<context>
    <name>ConnectionIndicator</name>
    <message>
        <source>Connected</source>
        <translation>已连接</translation>
    </message>
    <message>
        <source>Connecting…</source>
        <translation>正在连接…</translation>
    </message>
    <message>
        <source>Disconnected — commands are refused until the link is back</source>
        <translation>已断开 — 恢复连接前不接受命令</translation>
    </message>
    <message>
        <source>Refused by the server</source>
        <translation>服务器拒绝</translation>
    </message>
</context>
<context>
    <name>IncidentDetails</name>
    <message>
        <source>Recommended units</source>
        <translation>推荐警力</translation>
    </message>
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
    <message>
        <source>Assign {0} — {1:.1f} km, ETA {2}</source>
        <translation>派遣 {0} — {1:.1f} 公里，预计 {2} 到达</translation>
    </message>
    <message>
        <source>Straight line {0:.0f} m; by street {1}</source>
        <translation>直线 {0:.0f} 米；道路 {1}</translation>
    </message>
</context>
<context>
    <name>IncidentQueueModel</name>
    <message>
        <source>P</source>
        <translation>级</translation>
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
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Grid</source>
        <translation>网格</translation>
    </message>
    <message>
        <source>To dispatch</source>
        <translation>派警用时</translation>
    </message>
    <message>
        <source>To on scene</source>
        <translation>到场用时</translation>
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
        <source>Unit board</source>
        <translation>警力看板</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>图层</translation>
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
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Fit the city</source>
        <translation>显示全城</translation>
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
        <source>The console will speak the new language when it is next started.</source>
        <translation>调度台下次启动时将使用新语言。</translation>
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
        <source>OneMap — {0} ({1})</source>
        <translation>一张图 — {0}（{1}）</translation>
    </message>
    <message>
        <source>Not connected: {0} was not sent</source>
        <translation>未连接：{0} 未发送</translation>
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
        <source>Recommended for {0}: {1}</source>
        <translation>{0} 推荐：{1}</translation>
    </message>
    <message>
        <source>New incident here…</source>
        <translation>在此新建警情…</translation>
    </message>
    <message>
        <source>Close incident</source>
        <translation>结案</translation>
    </message>
    <message>
        <source>Disposition of {0}:</source>
        <translation>{0} 的处置结果：</translation>
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
        <source>lon, lat — or a street name</source>
        <translation>经度, 纬度 — 或街道名称</translation>
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
        <source>Not a place yet</source>
        <translation>尚未定位</translation>
    </message>
    <message>
        <source>{0}{1:.5f}, {2:.5f} · grid cell {3}</source>
        <translation>{0}{1:.5f}, {2:.5f} · 网格 {3}</translation>
    </message>
    <message>
        <source>Give the place as lon, lat or a street of the city.</source>
        <translation>请输入经度, 纬度或本市街道名称。</translation>
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
        <source>Station</source>
        <translation>驻地</translation>
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
</context>
</TS>