// The Qt Quick example's window: a workflow's inputs as a form, its run as a
// chat (ChatView), its confirmations as a dialog, all from `import Switchboard`.
import QtQuick
import QtQuick.Controls
import QtQuick.Layouts
import Switchboard

ApplicationWindow {
    id: window

    /// The workflow to open (main.cpp sets it).
    property url workflowFile
    /// The run, for main.cpp and the tests.
    property alias run: workflowRun
    readonly property string stateText: {
        switch (workflowRun.state) {
        case Run.Null: return qsTr("No workflow")
        case Run.Invalid: return qsTr("The workflow has errors")
        case Run.Ready: return qsTr("Ready")
        case Run.Running: return qsTr("Running…")
        case Run.Succeeded: return qsTr("Finished")
        case Run.Failed: return qsTr("Failed")
        case Run.Canceled: return qsTr("Canceled")
        }
        return ""
    }

    width: 960
    height: 720
    visible: true
    title: workflowRun.name ? qsTr("%1 — Switchboard").arg(workflowRun.name) : qsTr("Switchboard")

    // Offline (the workflow's emulator script answers) unless MISTRAL_API_KEY is set.
    Client {
        id: client
    }

    WorkflowRun {
        id: workflowRun
        client: client
        source: window.workflowFile
        onConfirmationRequested: confirmation => confirmationDialog.ask(confirmation)
    }

    header: ToolBar {
        RowLayout {
            anchors.fill: parent
            anchors.leftMargin: 8
            anchors.rightMargin: 8
            Label {
                objectName: "workflowName"
                text: workflowRun.name
                font.bold: true
            }
            Label {
                Layout.fillWidth: true
                text: workflowRun.description
                elide: Text.ElideRight
                color: palette.placeholderText
            }
            Button {
                objectName: "runButton"
                text: qsTr("Run")
                enabled: workflowRun.state !== Run.Null && workflowRun.state !== Run.Invalid && !workflowRun.running
                onClicked: workflowRun.start()
            }
            Button {
                objectName: "cancelButton"
                text: qsTr("Cancel")
                enabled: workflowRun.running
                onClicked: workflowRun.abort()
            }
        }
    }

    SplitView {
        anchors.fill: parent

        // The inputs, one field each, with its error beside it.
        ScrollView {
            SplitView.preferredWidth: 300
            SplitView.minimumWidth: 200
            contentWidth: availableWidth

            ColumnLayout {
                width: parent.width
                spacing: 6

                Label {
                    Layout.fillWidth: true
                    Layout.margins: 8
                    visible: workflowRun.state === Run.Invalid
                    text: workflowRun.errorString
                    color: "#b00020"
                    wrapMode: Text.Wrap
                }
                Repeater {
                    model: workflowRun.inputFields
                    delegate: ColumnLayout {
                        required property var modelData
                        Layout.fillWidth: true
                        Layout.leftMargin: 8
                        Layout.rightMargin: 8
                        Label {
                            text: modelData.name + (modelData.required ? " *" : "")
                            font.bold: true
                        }
                        Label {
                            Layout.fillWidth: true
                            visible: text !== ""
                            text: modelData.description
                            wrapMode: Text.Wrap
                            color: palette.placeholderText
                        }
                        TextField {
                            objectName: "input_" + modelData.name
                            Layout.fillWidth: true
                            placeholderText: modelData.defaultValue
                            onTextChanged: {
                                const values = workflowRun.inputs
                                values[modelData.name] = text
                                workflowRun.inputs = values
                            }
                        }
                        Label {
                            objectName: "inputError_" + modelData.name
                            Layout.fillWidth: true
                            visible: text !== ""
                            text: workflowRun.inputErrors[modelData.name] || ""
                            color: "#b00020"
                            wrapMode: Text.Wrap
                        }
                    }
                }
                Label {
                    Layout.fillWidth: true
                    Layout.margins: 8
                    visible: Object.keys(workflowRun.outputs).length > 0
                    text: {
                        const lines = []
                        for (const name in workflowRun.outputs)
                            lines.push("**" + name + "**: " + workflowRun.outputs[name])
                        return lines.join("\n\n")
                    }
                    textFormat: Text.MarkdownText
                    wrapMode: Text.Wrap
                }
            }
        }

        ChatView {
            objectName: "chat"
            SplitView.fillWidth: true
            model: workflowRun.conversation
            errorText: workflowRun.state === Run.Failed ? workflowRun.errorString : ""
            leftMargin: 12
            rightMargin: 12
            topMargin: 12
            bottomMargin: 12
            ScrollBar.vertical: ScrollBar {}
        }
    }

    footer: Label {
        objectName: "status"
        padding: 6
        text: window.stateText + (client.offline ? qsTr(" · offline: the built-in emulator answers") : "")
    }

    // A tool call that needs approval. Deny is the default button: Enter does not run it.
    Dialog {
        id: confirmationDialog
        objectName: "confirmationDialog"
        property Confirmation confirmation
        function ask(request) {
            confirmation = request
            open()
        }
        anchors.centerIn: parent
        modal: true
        title: confirmationDialog.confirmation
               ? qsTr("Allow %1?").arg(confirmationDialog.confirmation.toolName) : ""
        contentItem: Label {
            objectName: "confirmationArguments"
            text: confirmationDialog.confirmation ? confirmationDialog.confirmation.arguments : ""
            font.family: "monospace"
        }
        footer: DialogButtonBox {
            Button {
                text: qsTr("Deny")
                DialogButtonBox.buttonRole: DialogButtonBox.RejectRole
                highlighted: true
            }
            Button {
                text: qsTr("Approve")
                DialogButtonBox.buttonRole: DialogButtonBox.AcceptRole
            }
        }
        onAccepted: confirmationDialog.confirmation.approve()
        onRejected: confirmationDialog.confirmation.deny()
    }
}
