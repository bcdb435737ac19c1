import { previewSuite } from '../preview-suite.testkit.js'
import { createEmailOutput } from './email-output.js'
import { SmtpFake, emailIntegration } from './smtp-fake.testkit.js'

// The MIME envelope changes on every send; the preview is the content, compared as the reader
// gets it: the decoded subject and the two parts.
previewSuite('email output', async () => {
  const fake = await new SmtpFake().start()
  const integration = emailIntegration(
    `host: 127.0.0.1\n  port: ${fake.port}\n  sender: postee@example.com\n  recipients: ["ops@example.com"]`,
  )
  const received = (): string => {
    const { parsed } = fake.received.at(-1)!
    return JSON.stringify({ subject: parsed.subject, text: parsed.text, html: parsed.html })
  }
  return { output: createEmailOutput(integration), received, stop: () => fake.stop() }
})
