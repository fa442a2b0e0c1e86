import QtQuick

// ChatView: a conversation as a chat, for any ConversationModel (a run's
// `conversation`). User and assistant messages are bubbles with their
// Markdown rendered, streaming text grows as it arrives, tool calls are
// cards that open on a click to show their arguments and result, handoffs
// and server-side tools have their own rows, and `errorText` (bind it to a
// run's errorString) is shown at the end in `errorColor`.
//
// It is a ListView: `model` is the ConversationModel, and everything of
// ListView applies. Style it with the properties below, or replace the
// `delegate` (ChatEntry { entry: model; view: ListView.view } draws one row).
ListView {
    id: chatView

    // Colours
    property color textColor: "#1f2328"
    property color secondaryTextColor: "#57606a"
    property color userColor: "#dbeafe"
    property color assistantColor: "#f3f4f6"
    property color toolColor: "#fff8e6"
    property color toolBorderColor: "#e6c77a"
    property color errorColor: "#b00020"
    property color linkColor: "#0b57d0"
    // Fonts
    property font font: Qt.application.font
    property font codeFont: Qt.font({ family: "monospace", pointSize: chatView.font.pointSize > 0 ? chatView.font.pointSize : 10 })
    // Shapes
    property real bubbleRadius: 8
    property real bubblePadding: 10
    /// The widest a bubble gets, as a share of the view's width.
    property real bubbleWidthRatio: 0.85
    /// Tool call cards start open (true) or closed (false, the default).
    property bool toolCallsExpanded: false
    /// Each message shows the workflow step it belongs to.
    property bool showSteps: true
    /// Keeps the end in view while the conversation grows, unless the user scrolls.
    property bool followStream: true
    /// Shown after the last entry, in errorColor (e.g. a run's errorString).
    property string errorText: ""

    spacing: 8
    clip: true
    boundsBehavior: Flickable.StopAtBounds

    delegate: ChatEntry {
        entry: model
        view: chatView
    }

    footer: Item {
        width: chatView.width
        height: errorLabel.visible ? errorLabel.implicitHeight + chatView.spacing : 0
        Text {
            id: errorLabel
            objectName: "chatError"
            y: chatView.spacing
            width: parent.width
            visible: chatView.errorText !== ""
            text: chatView.errorText
            color: chatView.errorColor
            font: chatView.font
            wrapMode: Text.Wrap
        }
    }

    function followEnd() {
        if (followStream && !moving && !dragging)
            positionViewAtEnd()
    }
    onCountChanged: Qt.callLater(followEnd)
    onContentHeightChanged: Qt.callLater(followEnd)
}
