import type { Notifier, StepNotice } from '../access/ports';
import type { AccessRequest, SlackMessageRef } from '../access/types';
import type { HomePublisher } from './home-publisher';

/**
 * The Notifier the workflow is given: the Slack one, and every card it posts or updates (each state change's telling
 * ends with its card, delivered by the outbox) also marks the Homes of the people concerned for republishing. Marking
 * is synchronous and cheap: the outbox, and so IAM, never waits for a Home.
 */
export class HomeRefreshingNotifier implements Notifier {
  constructor(
    private readonly inner: Notifier,
    private readonly homes: HomePublisher,
  ) {}

  async postApprovalCard(request: AccessRequest): Promise<SlackMessageRef> {
    const card = await this.inner.postApprovalCard(request);
    this.homes.changed(request);
    return card;
  }

  async updateCard(request: AccessRequest): Promise<void> {
    this.homes.changed(request);
    await this.inner.updateCard(request);
  }

  postStep(request: AccessRequest, step: StepNotice): Promise<string | undefined> {
    return this.inner.postStep(request, step);
  }

  tellRequester(request: AccessRequest, step: StepNotice): Promise<string | undefined> {
    return this.inner.tellRequester(request, step);
  }

  cardLink(request: AccessRequest): Promise<string | undefined> {
    return this.inner.cardLink(request);
  }
}
