import QtQuick

// One row of a ChatView: `entry` is the row (a delegate's `model`: the
// ConversationModel's roles by name), `view` the ChatView whose style it
// uses. What it draws depends on entry.type.
Item {
    id: root
    objectName: "chatEntry"

    property var entry
    property ListView view

    readonly property string type: entry ? entry.type : ""
    readonly property string status: entry ? entry.status : ""
    readonly property bool isMessage: type === "message.input" || type === "message.output"
    readonly property bool isCard: type === "function.call" || type === "function.result" || type === "tool.execution"
    /// The card shows its arguments and result.
    property bool expanded: view ? view.toolCallsExpanded : false

    width: view ? view.width - view.leftMargin - view.rightMargin : 0
    implicitHeight: isMessage ? message.height : isCard ? card.height : handoff.implicitHeight
    height: implicitHeight

    // JSON text indented for reading; other text as it is.
    function readable(text) {
        if (!text)
            return ""
        try {
            const value = JSON.parse(text)
            if (typeof value === "object" && value !== null)
                return JSON.stringify(value, null, 2)
        } catch (e) {
        }
        return text
    }

    // --- user and assistant messages -------------------------------------
    Rectangle {
        id: message
        visible: root.isMessage
        readonly property bool fromUser: root.type === "message.input"
        readonly property real maxWidth: root.width * (root.view ? root.view.bubbleWidthRatio : 0.85)
        readonly property real padding: root.view ? root.view.bubblePadding : 10
        x: fromUser ? root.width - width : 0
        width: Math.min(Math.max(messageText.implicitWidth, caption.implicitWidth) + 2 * padding, maxWidth)
        height: messageColumn.implicitHeight + 2 * padding
        radius: root.view ? root.view.bubbleRadius : 8
        color: root.view ? (fromUser ? root.view.userColor : root.view.assistantColor) : "transparent"

        Column {
            id: messageColumn
            x: message.padding
            y: message.padding
            width: message.width - 2 * message.padding
            spacing: 2

            Text {
                id: caption
                objectName: "messageCaption"
                visible: text !== ""
                text: {
                    const parts = []
                    if (root.view && root.view.showSteps && root.entry && root.entry.step)
                        parts.push(root.entry.step)
                    if (root.status === "streaming")
                        parts.push(qsTr("writing…"))
                    else if (root.status === "interrupted")
                        parts.push(qsTr("interrupted"))
                    return parts.join(" · ")
                }
                color: root.status === "interrupted" && root.view ? root.view.errorColor
                                                                 : (root.view ? root.view.secondaryTextColor : "gray")
                font.pointSize: root.view && root.view.font.pointSize > 0 ? root.view.font.pointSize * 0.85 : 8
            }
            Text {
                id: messageText
                objectName: "messageText"
                width: parent.width
                text: root.isMessage && root.entry ? root.entry.text : ""
                textFormat: Text.MarkdownText
                wrapMode: Text.Wrap
                color: root.view ? root.view.textColor : "black"
                linkColor: root.view ? root.view.linkColor : "blue"
                font: root.view ? root.view.font : Qt.application.font
                onLinkActivated: link => Qt.openUrlExternally(link)
            }
        }
    }

    // --- tool calls, results without a call, server-side tools ------------
    Rectangle {
        id: card
        visible: root.isCard
        readonly property real padding: root.view ? root.view.bubblePadding : 10
        width: root.width * (root.view ? root.view.bubbleWidthRatio : 0.85)
        height: cardColumn.implicitHeight + 2 * padding
        radius: root.view ? root.view.bubbleRadius : 8
        color: root.view ? root.view.toolColor : "transparent"
        border.color: root.status === "failed" || root.status === "denied"
                      ? (root.view ? root.view.errorColor : "red")
                      : (root.view ? root.view.toolBorderColor : "gray")

        Column {
            id: cardColumn
            x: card.padding
            y: card.padding
            width: card.width - 2 * card.padding
            spacing: 4

            Item {
                id: cardHeader
                objectName: "toolHeader"
                width: parent.width
                height: Math.max(toolName.implicitHeight, toolStatus.implicitHeight)

                Text {
                    id: toolName
                    objectName: "toolName"
                    width: parent.width - toolStatus.width - 8
                    elide: Text.ElideRight
                    text: root.entry ? (root.type === "function.result" ? qsTr("result") : root.entry.toolName) : ""
                    font.family: root.view ? root.view.codeFont.family : "monospace"
                    font.pointSize: root.view && root.view.font.pointSize > 0 ? root.view.font.pointSize : 10
                    font.bold: true
                    color: root.view ? root.view.textColor : "black"
                    // ▸ / ▾: closed or open
                    leftPadding: expander.implicitWidth + 4
                    Text {
                        id: expander
                        text: root.expanded ? "\u25BE" : "\u25B8"
                        color: root.view ? root.view.secondaryTextColor : "gray"
                        font: toolName.font
                    }
                }
                Text {
                    id: toolStatus
                    objectName: "toolStatus"
                    anchors.right: parent.right
                    text: {
                        if (!root.entry)
                            return ""
                        const ms = root.entry.durationMs
                        return root.status.replace("_", " ") + (ms >= 0 ? " · " + ms + " ms" : "")
                    }
                    color: root.status === "failed" || root.status === "denied"
                           ? (root.view ? root.view.errorColor : "red")
                           : (root.view ? root.view.secondaryTextColor : "gray")
                    font: root.view ? root.view.font : Qt.application.font
                }
                TapHandler {
                    onTapped: root.expanded = !root.expanded
                }
            }

            Text {
                objectName: "toolArgumentsLabel"
                visible: root.expanded && toolArguments.text !== ""
                text: qsTr("Arguments")
                color: root.view ? root.view.secondaryTextColor : "gray"
                font: root.view ? root.view.font : Qt.application.font
            }
            Text {
                id: toolArguments
                objectName: "toolArguments"
                visible: root.expanded && text !== ""
                width: parent.width
                text: root.entry ? root.readable(root.entry.arguments) : ""
                textFormat: Text.PlainText
                wrapMode: Text.WrapAnywhere
                font: root.view ? root.view.codeFont : Qt.application.font
                color: root.view ? root.view.textColor : "black"
            }
            Text {
                objectName: "toolResultLabel"
                visible: root.expanded && toolResult.text !== ""
                text: qsTr("Result")
                color: root.view ? root.view.secondaryTextColor : "gray"
                font: root.view ? root.view.font : Qt.application.font
            }
            Text {
                id: toolResult
                objectName: "toolResult"
                visible: root.expanded && text !== ""
                width: parent.width
                text: root.entry ? root.readable(root.entry.result) : ""
                textFormat: Text.PlainText
                wrapMode: Text.WrapAnywhere
                font: root.view ? root.view.codeFont : Qt.application.font
                color: root.view ? root.view.textColor : "black"
            }
            Text {
                objectName: "toolError"
                visible: text !== ""
                width: parent.width
                text: root.entry && root.entry.error ? root.entry.error : ""
                wrapMode: Text.Wrap
                color: root.view ? root.view.errorColor : "red"
                font: root.view ? root.view.font : Qt.application.font
            }
        }
    }

    // --- handoffs ---------------------------------------------------------
    Text {
        id: handoff
        objectName: "handoffText"
        visible: root.type === "agent.handoff"
        width: root.width
        horizontalAlignment: Text.AlignHCenter
        wrapMode: Text.Wrap
        text: root.entry && visible ? qsTr("%1 hands over to %2").arg(root.entry.agent).arg(root.entry.text || "…") : ""
        color: root.view ? root.view.secondaryTextColor : "gray"
        font: root.view ? root.view.font : Qt.application.font
    }
}
